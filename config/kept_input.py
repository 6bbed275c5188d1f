"""Keeping what someone typed into any form when it could not be sent, for them only (SPEC §8).

A form shown to a signed-in person carries ``draft_owner``: their id, signed (the context
processor :func:`draft_owner` gives every template one). When the form comes back after the
session expired, the request is anonymous; the submitted fields are kept in the new session
under the form's key, with that owner, and the person is asked to sign in. After signing in they
land on the page of the same form (``back_to``, with ``?restore=1``), which asks for the fields
back and gets them only if the owner matches. Django's login keeps the data of a session that had
no user, which is exactly the expired case. A refused CSRF check keeps the input the same way.

A view opts in with :func:`keeps_input`; its page gives the input back with :func:`taken_back`.
See docs/architecture.md ("Nothing typed is lost").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, resolve

SALT = "breaches.kept-input"
MAX_AGE = 7 * 24 * 3600
MAX_CHARS = 64_000


def owner_token(user_pk: int) -> str:
    return signing.dumps(user_pk, salt=SALT)


def draft_owner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``{{ draft_owner }}`` is the signed-in person's token, made on use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"draft_owner": lambda: owner_token(user.pk)}


def keep(
    request: HttpRequest, key: str, allowed: Iterable[str], prefixes: tuple[str, ...] = ()
) -> bool:
    """Keep the anonymous POST's allowed fields under ``key``; False when there is no owner."""
    try:
        owner = signing.loads(request.POST.get("draft_owner", ""), salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    names = set(allowed)
    fields = {
        name: request.POST.getlist(name)
        for name in request.POST
        if name in names or (prefixes and name.startswith(prefixes) and len(name) < 40)
    }
    if sum(len(v) for values in fields.values() for v in values) > MAX_CHARS:
        return False
    request.session[key] = {"owner": owner, "fields": fields}
    return True


def restore(request: HttpRequest, key: str, user_pk: int) -> QueryDict | None:
    """The kept fields, if they belong to ``user_pk``; someone else's are dropped unseen."""
    kept = request.session.get(key)
    if not kept:
        return None
    if kept.get("owner") != user_pk:
        request.session.pop(key, None)
        return None
    data = QueryDict(mutable=True)
    for name, values in kept["fields"].items():
        data.setlist(name, values)
    return data


def forget(request: HttpRequest, key: str) -> None:
    request.session.pop(key, None)


@dataclass(frozen=True)
class KeptForm:
    """Where a form's input is kept (``key``), which fields, and the page that gives it back."""

    key: str
    allowed: frozenset[str]
    back_to: str


Spec = Callable[[dict[str, Any]], KeptForm]
View = Callable[..., HttpResponse]

# The view a form posts to → how that form's input is kept (see :func:`csrf_failure`).
_KEPT_FORMS: dict[Callable[..., Any], Spec] = {}


def keeps_input(spec: Spec) -> Callable[[View], View]:
    """The outermost decorator of a view whose form keeps its input: signed out, a POST is kept
    for its owner and the person asked to sign in (never a 405 after it); any other request
    goes to sign-in and back. Signed in, the view runs."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                if request.method == "POST":
                    return expired_response(request, spec(kwargs))
                return redirect_to_login(request.get_full_path())
            return view(request, *args, **kwargs)

        _KEPT_FORMS[wrapper] = spec
        return wrapper

    return decorate


def keep_form(request: HttpRequest, form: KeptForm) -> bool:
    """Keep the POST's fields the way ``form`` says; False when there is no owner to keep for."""
    return keep(request, form.key, form.allowed, ("affected-",))


def expired_response(request: HttpRequest, form: KeptForm) -> HttpResponse:
    """A form posted after the session expired: keep it for its owner, then ask them to sign in."""
    kept = keep_form(request, form)
    files = " (choose the file again)" if request.FILES else ""
    messages.warning(
        request,
        "Your session had expired, so nothing was sent yet. Sign in again and what you "
        f"typed will be waiting{files}."
        if kept
        else f"Your session had expired, so nothing was sent yet. Please sign in again{files}.",
    )
    return redirect_to_login(form.back_to)


def taken_back(request: HttpRequest, form: KeptForm) -> QueryDict | None:
    """On the page ``back_to`` leads to: the input kept for the signed-in person, if any."""
    user = getattr(request, "user", None)
    if not request.GET.get("restore") or user is None or not user.is_authenticated:
        return None
    return restore(request, form.key, user.pk)


def initial_from(form_class: type[forms.Form], data: QueryDict) -> dict[str, Any]:
    """Kept raw input as a form's ``initial``: each field read the way its widget posts it."""
    return {
        name: field.widget.value_from_datadict(data, {}, name)
        for name, field in form_class.base_fields.items()
        if name in data
    }


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The product's own page for a refused form (a stale tab, cleared cookies): what was typed
    into a form that keeps input is kept, for its owner, exactly as after an expired session,
    and the page says how to get it back. Django's bare 403 page is never shown."""
    form = _kept_form(request) if request.method == "POST" else None
    kept = form is not None and keep_form(request, form)
    return render(
        request,
        "403_csrf.html",
        {"kept": kept, "back_to": form.back_to if form else request.path},
        status=403,
    )


def _kept_form(request: HttpRequest) -> KeptForm | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    spec = _KEPT_FORMS.get(match.func)
    return spec(match.kwargs) if spec else None
