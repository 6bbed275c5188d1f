"""The two pages that need no account: sending an anonymous report, and following it up with
its code (SPEC §2; services and forms in ``breaches.intake.anonymous``).

Nothing here writes anything about the sender: no address, no user agent, no session value,
no message (messages may live in the session), no request id (a proxy trusted to set one logs
it beside the address). A person who happens to be signed in is ignored: nothing they do here
is linked to their account. The code travels only in POST bodies, never in a URL; once entered
it is replaced by a signed pass in the page's form, good for 30 minutes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.models import BusinessUnit
from accounts.request_context import reset_request_id, set_request_id
from breaches.intake import anonymous
from breaches.intake.anonymous import (
    AnonymousReportForm,
    FollowUpAnswerForm,
    FollowUpCodeForm,
)
from breaches.models import AnonymousFollowUp, Incident
from config.errors import page_call

View = Callable[..., HttpResponse]


def unlinked(view: View) -> View:
    """Serve ``view`` with no request id: history rows and access events written for it carry
    nothing that a proxy's log (address beside request id) could tie back to the sender."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = set_request_id("")
        try:
            return view(request, *args, **kwargs)
        finally:
            reset_request_id(token)

    return wrapper


def _limited(response: HttpResponse) -> HttpResponse:
    """Over a limit: 429, with when to try again; the page still holds what was typed."""
    response.status_code = 429
    response["Retry-After"] = str(anonymous.seconds_to_next_window())
    return response


def _wait_minutes() -> int:
    return max(1, -(-anonymous.seconds_to_next_window() // 60))


def _with_valid_token(data: QueryDict) -> QueryDict:
    """A missing or mangled submission token is replaced: the form never gets stuck on it."""
    try:
        uuid.UUID(data.get("submission_token", ""))
    except ValueError:
        data = data.copy()
        data["submission_token"] = str(uuid.uuid4())
    return data


@require_http_methods(["GET", "POST"])
@csrf_protect
@unlinked
def report_anonymously(request: HttpRequest) -> HttpResponse:
    """The anonymous report form; on success the follow-up code, shown in this answer only
    (``Cache-Control: no-store``, as every page): no redirect, so it is never shown again."""
    if request.method == "POST":
        form = AnonymousReportForm(_with_valid_token(request.POST))
        unit = None
        if form.is_valid():
            unit = BusinessUnit.objects.filter(pk=form.cleaned_data["business_unit"]).first()
            if unit is None:  # removed since the form was shown
                form.add_error("business_unit", "Choose the office or team where it happened.")
        if form.is_valid() and unit is not None:
            if anonymous.over_limit(request, "report"):
                return _limited(
                    render(
                        request,
                        "breaches/intake/anonymous_report.html",
                        {"form": form, "limited_minutes": _wait_minutes()},
                    )
                )
            data = form.cleaned_data
            details = form.details()
            receipt = page_call(
                request,
                lambda: anonymous.anonymous_report_create(
                    kind=data["kind"],
                    summary=data["summary"],
                    aware_at=data["aware_at"],
                    channel=data["channel"],
                    business_unit=unit,
                    submission_token=data["submission_token"],
                    description=details["description"],
                    occurred_at=details["occurred_at"],
                    occurred_precision=details["occurred_precision"],
                    breach_types=data.get("breach_types") or [],
                    information_categories=data.get("information_categories") or [],
                    individuals_affected=details["individuals_affected"],
                    individuals_affected_is_estimate=details["individuals_affected_is_estimate"],
                    discovered_by=data.get("discovered_by") or "",
                    about_colleague=bool(data.get("about_colleague")),
                ),
                form=form,
            )
            if receipt is not None:
                if not receipt.again:
                    anonymous.count(request, "report")
                return render(request, "breaches/intake/anonymous_sent.html", {"receipt": receipt})
        elif form.has_error("__all__", "honeypot"):
            anonymous.count(request, "report")
        status = 400
    else:
        form = AnonymousReportForm(
            initial={
                "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "submission_token": uuid.uuid4(),
                "occurred_precision": Incident.OccurredPrecision.UNKNOWN,
            }
        )
        status = 200
    return render(request, "breaches/intake/anonymous_report.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@csrf_protect
@unlinked
def follow_up(request: HttpRequest) -> HttpResponse:
    """Enter the code; with the right one, read the privacy team's questions and answer them.

    A POST carries either the code (just typed) or the pass the page gave when it was typed,
    and perhaps an answer. An answer whose pass ran out is kept on the page while the code is
    asked for again.
    """
    code_form = FollowUpCodeForm()
    answer_form = FollowUpAnswerForm()
    if request.method == "GET":
        return _code_page(request, code_form, answer_form)
    found: AnonymousFollowUp | None = None
    answering = "body" in request.POST
    if answering:
        answer_form = FollowUpAnswerForm(request.POST)
    if "code" in request.POST:
        code_form = FollowUpCodeForm(request.POST)
        if anonymous.over_limit(request, "code"):
            return _limited(_code_page(request, code_form, answer_form, limited=True))
        if code_form.is_valid():
            found = anonymous.follow_up_for_code(code_form.cleaned_data["code"])
            if found is None:
                code_form.add_error("code", anonymous.NO_SUCH_CODE)
        if found is None:
            anonymous.count(request, "code")
            return _code_page(request, code_form, answer_form, status=400)
    else:
        found = anonymous.follow_up_from_pass(request.POST.get("pass", ""))
        if found is None:
            return _code_page(request, code_form, answer_form, status=400, expired=True)
    sent = False
    if answering and answer_form.is_valid():
        body = answer_form.cleaned_data["body"]
        holder = found
        answer = page_call(
            request,
            lambda: anonymous.anonymous_answer_add(follow_up=holder, body=body),
            form=answer_form,
        )
        if answer is not None:
            sent = True
            answer_form = FollowUpAnswerForm()
    anonymous.record_follow_up_read(found, path=request.path)
    incident = found.incident
    return render(
        request,
        "breaches/intake/anonymous_follow_up.html",
        {
            "incident": incident,
            "thread": anonymous.follow_up_thread(found),
            "answer_form": answer_form,
            "pass": anonymous.follow_up_pass(found),
            "sent": sent,
            "minutes": anonymous.FOLLOW_UP_SECONDS // 60,
        },
        status=400 if answer_form.is_bound and answer_form.errors else 200,
    )


def _code_page(
    request: HttpRequest,
    code_form: FollowUpCodeForm,
    answer_form: FollowUpAnswerForm,
    *,
    status: int = 200,
    expired: bool = False,
    limited: bool = False,
) -> HttpResponse:
    return render(
        request,
        "breaches/intake/anonymous_code.html",
        {
            "form": code_form,
            "answer_form": answer_form,
            "expired": expired,
            "limited_minutes": _wait_minutes() if limited else None,
            "minutes": anonymous.FOLLOW_UP_SECONDS // 60,
        },
        status=status,
    )
