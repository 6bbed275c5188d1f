"""Anonymous reports (SPEC §2 "Confidential report"): a report with no account link at all,
followed up with a one-time follow-up code.

- Every anonymous report has the same reporter: the register's one system account
  (:data:`ANONYMOUS_USERNAME`), inactive, with an unusable password and no identity-provider
  link, so it can never sign in and ``visible_to`` gives it nothing. The incident says
  ``reporting=anonymous``; nothing about the sender is stored: no account, no address, no
  user agent, no session.
- The follow-up code is 140 random bits from :mod:`secrets`, written as seven groups of four
  letters and digits without the ambiguous ones (no 0/O, 1/I). It is shown once; only its
  SHA-256 is stored (:class:`~breaches.models.AnonymousFollowUp`). A code that long needs no
  salt or slow hash: nobody can try enough of them to find one.
- The code is the only authority of its holder: it reaches exactly one report, whose reference,
  status and shared comments it reads, and on which it answers (:func:`anonymous_answer_add`).
- Abuse controls that keep the sender unknown (:func:`over_limit`): counters in the cache only,
  per ten-minute window, overall and per sender, the sender being a keyed hash of the client
  address that changes every window and is never written to the database.

See docs/reporting-without-fear.md ("Anonymous reports").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.client_ip import client_ip
from accounts.history import stamp_history
from accounts.models import AccessEvent, BusinessUnit, User
from breaches.intake.forms import DetailsMixin, ReportForm, unit_choices
from breaches.intake.services import incident_create
from breaches.models import AnonymousFollowUp, Comment, Incident
from breaches.permissions import can_contribute

# The one account every anonymous report is filed under (never a person's).
ANONYMOUS_USERNAME = "anonymous-reporter"

# 32 symbols (5 bits each) without 0, O, 1 and I; 28 of them are 140 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 28
CODE_GROUP = 4

# How long entering the code lets its holder read and answer before it is asked for again.
FOLLOW_UP_SECONDS = 30 * 60
FOLLOW_UP_SALT = "breaches.anonymous-follow-up"

# A resubmission of the same form this soon after the first (a double click, a lost answer) gets
# the report a new code, shown instead of the first; later, the code is never shown again.
RESEND_SECONDS = 120

# The same answer sent again this soon (a refresh of the page after sending) is not a new one.
ANSWER_REPEAT_SECONDS = 600

# Abuse controls (settings may override each): per ten-minute window, overall and per sender.
WINDOW_SECONDS = 600
LIMITS = {
    "report": ("ANONYMOUS_REPORTS_PER_WINDOW", 60, "ANONYMOUS_REPORTS_PER_SENDER", 5),
    "code": ("ANONYMOUS_CODE_FAILURES_PER_WINDOW", 200, "ANONYMOUS_CODE_FAILURES_PER_SENDER", 10),
}

NOT_A_CODE = (
    "That is not a follow-up code. A code has 28 letters and digits, in seven groups of four "
    "(for example ABCD-EFGH-…). Check it and try again."
)
NO_SUCH_CODE = (
    "No report has that code. Check it and try again: nobody, not even the privacy team, can "
    "look a code up or make a new one."
)
CLOSED = "This report is closed, so answers are no longer taken. Its status is shown above."


# --- the account ------------------------------------------------------------------------------


def anonymous_account() -> User:
    """The register's one account for anonymous reports, made on first use.

    Inactive (Django's backends refuse it and ``visible_to`` gives it nothing), an unusable
    password, no role beyond reporter, no identity-provider link (a sign-in through the identity
    provider under its username is refused, ``accounts.sso.provision``). Put back that way if
    anyone changed it.
    """
    root = BusinessUnit.objects.order_by("depth", "path").first()
    if root is None:
        raise ValidationError({"business_unit": "The register has no business units yet."})
    account = User.objects.filter(username=ANONYMOUS_USERNAME).first()
    if account is None:
        account = User(
            username=ANONYMOUS_USERNAME,
            first_name="Anonymous",
            last_name="reporter",
            role=User.Role.REPORTER,
            business_unit=root,
            is_active=False,
        )
        account.set_unusable_password()
        stamp_history(account, user=None, reason="the account of anonymous reports")
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            # The first two anonymous reports arrived together; the other one made it.
            return User.objects.get(username=ANONYMOUS_USERNAME)
        return account
    if (
        account.is_active
        or account.has_usable_password()
        or account.role != User.Role.REPORTER
        or account.is_staff
        or account.is_superuser
        or account.sso_subject
    ):
        account.is_active = account.is_staff = account.is_superuser = False
        account.role = User.Role.REPORTER
        account.sso_issuer = account.sso_subject = ""
        account.set_unusable_password()
        stamp_history(account, user=None, reason="the anonymous account never signs in")
        account.save()
    return account


# --- codes ------------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh follow-up code, grouped for people to copy: ``ABCD-EFGH-…``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str | None:
    """The code as typed, without spaces and dashes, in capitals; None if it cannot be one."""
    raw = "".join(ch for ch in text.upper() if ch not in " -\t\u00a0")
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return raw


def code_hash(code: str) -> str:
    """What is stored of a code: the SHA-256 of its normalised form."""
    raw = normalise_code(code)
    if raw is None:
        raise ValueError("not a follow-up code")
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def follow_up_for_code(code: str) -> AnonymousFollowUp | None:
    """The one follow-up a code reaches, by its hash (an index look-up, no comparison of
    secrets in Python); None for a code that reaches none."""
    raw = normalise_code(code)
    if raw is None:
        return None
    return (
        AnonymousFollowUp.objects.select_related("incident")
        .filter(code_hash=code_hash(raw))
        .first()
    )


def follow_up_pass(follow_up: AnonymousFollowUp) -> str:
    """A signed pass to the follow-up just opened with its code, carried in the page's form
    (never in a URL, a cookie or the session) and good for :data:`FOLLOW_UP_SECONDS`."""
    return signing.dumps(follow_up.pk, salt=FOLLOW_UP_SALT)


def follow_up_from_pass(value: str) -> AnonymousFollowUp | None:
    """The follow-up a pass opens, or None when it is forged or older than 30 minutes."""
    try:
        pk = signing.loads(value, salt=FOLLOW_UP_SALT, max_age=FOLLOW_UP_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return AnonymousFollowUp.objects.select_related("incident").filter(pk=pk).first()


# --- abuse controls ---------------------------------------------------------------------------


def _sender_key(request: HttpRequest, window: int) -> str:
    """A stand-in for the sender within one window: the client address under a keyed hash
    whose key changes every window. Lives only in the cache, for one window."""
    key = hashlib.sha256(f"{settings.SECRET_KEY}:anonymous:{window}".encode()).digest()
    address = (client_ip(request) or "").encode()
    return hmac.new(key, address, hashlib.sha256).hexdigest()[:32]


def _limits(kind: str) -> tuple[int, int]:
    overall_name, overall, sender_name, sender = LIMITS[kind]
    return int(getattr(settings, overall_name, overall)), int(
        getattr(settings, sender_name, sender)
    )


def over_limit(request: HttpRequest, kind: str) -> bool:
    """Has this window seen too many of ``kind`` (overall or from this sender)?"""
    window = int(time.time() // WINDOW_SECONDS)
    overall, per_sender = _limits(kind)
    counts = cache.get_many(
        [f"anon:{kind}:all:{window}", f"anon:{kind}:{_sender_key(request, window)}:{window}"]
    )
    return (
        counts.get(f"anon:{kind}:all:{window}", 0) >= overall
        or counts.get(f"anon:{kind}:{_sender_key(request, window)}:{window}", 0) >= per_sender
    )


def count(request: HttpRequest, kind: str) -> None:
    """Count one ``kind`` (a report sent, a wrong code) in this window."""
    window = int(time.time() // WINDOW_SECONDS)
    for key in (
        f"anon:{kind}:all:{window}",
        f"anon:{kind}:{_sender_key(request, window)}:{window}",
    ):
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS * 2)


def seconds_to_next_window() -> int:
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS


# --- forms ------------------------------------------------------------------------------------

HONEYPOT_MESSAGE = (
    "This report could not be sent: the field marked “leave this empty” was filled in (some "
    "browser add-ons do that). Empty it and send again."
)


class AnonymousReportForm(DetailsMixin):
    """The essentials of the report form, its fields imported from it; nothing that could name
    the sender (no affected people's references, no files: files carry their author and
    location in their metadata)."""

    # Django's way to leave out fields of the shared details: the cause and containment are
    # the officers' to find out.
    cause_category = None  # type: ignore[assignment]  # removes the inherited field
    cause_detail = None  # type: ignore[assignment]  # removes the inherited field
    containment_steps = None  # type: ignore[assignment]  # removes the inherited field
    contained_at = None  # type: ignore[assignment]  # removes the inherited field

    kind = ReportForm.base_fields["kind"]
    summary = ReportForm.base_fields["summary"]
    aware_at = ReportForm.base_fields["aware_at"]
    channel = ReportForm.base_fields["channel"]
    business_unit = forms.TypedChoiceField(
        label="Which office or team?",
        coerce=int,
        help_text="Where it happened.",
        error_messages={"required": "Choose the office or team where it happened."},
    )
    about_colleague = ReportForm.base_fields["about_colleague"]
    discovered_by = ReportForm.base_fields["discovered_by"]
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # A trap for robots: hidden from people (and screen readers), filled in by form-filling bots.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    field_order = [
        "kind",
        "summary",
        "aware_at",
        "channel",
        "business_unit",
        "about_colleague",
        "occurred_precision",
        "occurred_at",
        "description",
        "breach_types",
        "information_categories",
        "individuals_affected",
        "individuals_affected_is_estimate",
        "discovered_by",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = cast(forms.TypedChoiceField, self.fields["business_unit"])
        units.choices = [("", "Choose one"), *unit_choices()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(HONEYPOT_MESSAGE, code="honeypot")
        return cleaned

    def visible_fields_in_order(self) -> list[forms.BoundField]:
        return [self[name] for name in self.field_order]


class FollowUpCodeForm(forms.Form):
    code = forms.CharField(
        label="Your follow-up code",
        max_length=80,
        help_text="The code you were given when you sent the report, for example "
        "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345. Spaces and dashes do not matter.",
        error_messages={"required": "Type the follow-up code you were given."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        raw = normalise_code(code)
        if raw is None:
            raise ValidationError(NOT_A_CODE, code="format")
        return raw


class FollowUpAnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="Only the privacy team reads it. Leave out anything that would tell them "
        "who you are, unless you want them to know.",
        error_messages={"required": "Write your answer before sending."},
    )


# --- services ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What sending an anonymous report gives back: the incident and its code, shown once.

    ``code`` is None when the same form was sent again too late for a new code to be made;
    ``again`` says the form had been sent before."""

    incident: Incident
    code: str | None
    again: bool


def anonymous_report_create(
    *,
    kind: str,
    summary: str,
    aware_at: datetime,
    channel: str,
    business_unit: BusinessUnit,
    submission_token: uuid.UUID,
    description: str = "",
    occurred_at: datetime | None = None,
    occurred_precision: str = Incident.OccurredPrecision.UNKNOWN,
    breach_types: Iterable[str] = (),
    information_categories: Iterable[str] = (),
    individuals_affected: int | None = None,
    individuals_affected_is_estimate: bool = False,
    discovered_by: str = "",
    about_colleague: bool = False,
) -> Receipt:
    """Record an anonymous report under the anonymous account and give it a follow-up code.

    All anonymous reports share one reporter, so the form's hidden token alone tells a
    resubmission (the same incident back) from another form (a new incident), exactly as
    ``incident_create`` does for a person's reports. A report about a colleague's conduct is
    restricted on arrival there, to the chief privacy officer only.
    """
    with transaction.atomic():
        account = anonymous_account()
        incident = incident_create(
            reporter=account,
            reporting=Incident.Reporting.ANONYMOUS,
            kind=kind,
            summary=summary,
            aware_at=aware_at,
            channel=channel,
            business_unit=business_unit,
            description=description,
            occurred_at=occurred_at,
            occurred_precision=occurred_precision,
            breach_types=breach_types,
            information_categories=information_categories,
            individuals_affected=individuals_affected,
            individuals_affected_is_estimate=individuals_affected_is_estimate,
            discovered_by=discovered_by,
            about_colleague=about_colleague,
            submission_token=submission_token,
        )
        code = new_code()
        follow_up, created = AnonymousFollowUp.objects.select_for_update().get_or_create(
            incident=incident, defaults={"code_hash": code_hash(code)}
        )
        if created:
            return Receipt(incident=incident, code=code, again=False)
        if timezone.now() - incident.reported_at <= timedelta(seconds=RESEND_SECONDS):
            # The first answer never reached the sender (a double click shows only the last):
            # this code replaces the one nobody saw.
            AnonymousFollowUp.objects.filter(pk=follow_up.pk).update(code_hash=code_hash(code))
            return Receipt(incident=incident, code=code, again=True)
        return Receipt(incident=incident, code=None, again=True)


def anonymous_answer_add(*, follow_up: AnonymousFollowUp, body: str) -> Comment:
    """The code holder's answer: a shared comment on the one incident the code reaches, by the
    anonymous account.

    The authority is the code (the follow-up row), not the account, which sees nothing: so the
    incident is locked here by the follow-up's own link rather than through ``lock_for_write``'s
    scope, and the reporter's rule of ``can_contribute`` (while open, never after disposal) is
    checked on the locked row. The same answer sent again within ten minutes (a refreshed page)
    is the first one, not a second.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write your answer before sending."})
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .filter(pk=follow_up.incident_id, reporting=Incident.Reporting.ANONYMOUS)
            .first()
        )
        account = anonymous_account()
        if locked is None or locked.reporter_id != account.pk:
            raise PermissionDenied(CLOSED)
        if not can_contribute(account, locked):
            raise PermissionDenied(CLOSED)
        repeat = (
            Comment.objects.filter(
                incident=locked,
                author=account,
                body=body,
                created_at__gte=timezone.now() - timedelta(seconds=ANSWER_REPEAT_SECONDS),
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if repeat is not None:
            return repeat
        comment = Comment(
            incident=locked, author=account, body=body, visibility=Comment.Visibility.SHARED
        )
        stamp_history(comment, user=account)
        comment.save()
        Incident.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return comment


def follow_up_thread(follow_up: AnonymousFollowUp) -> list[tuple[Comment, bool]]:
    """The shared comments of the follow-up's incident, oldest first, each with whether it is
    the code holder's own answer. Internal notes never."""
    account_pk = follow_up.incident.reporter_id
    rows = Comment.objects.filter(
        incident_id=follow_up.incident_id, visibility=Comment.Visibility.SHARED
    ).order_by("created_at", "id")
    return [(c, c.author_id == account_pk) for c in rows]


def record_follow_up_read(follow_up: AnonymousFollowUp, *, path: str) -> AccessEvent:
    """The incident's access log shows that its code was used to read it: by the anonymous
    account, with no address and no request id (nothing that could lead back to the sender)."""
    return AccessEvent.objects.create(
        user_id=follow_up.incident.reporter_id,
        action=AccessEvent.Action.VIEW,
        incident_id=follow_up.incident_id,
        detail={"page": "anonymous follow-up"},
        path=path[:500],
        ip_address=None,
        request_id="",
    )
