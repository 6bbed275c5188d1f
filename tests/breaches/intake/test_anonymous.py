"""Anonymous reports and their one-time follow-up code (SPEC §2, issue 17 items 2 and 5)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import AccessEvent, User
from breaches.intake import anonymous
from breaches.intake.services import comment_add
from breaches.models import AnonymousFollowUp, Comment, Incident
from tests.conftest import World

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (X11) ReporterBrowser/77.7"
CODE_RE = re.compile(r'id="follow-up-code">([A-Z0-9-]+)<')


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    """The abuse counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def report_data(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "breach",
        "summary": "Team leader forwards case notes to a private address",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "email",
        "business_unit": world.site_b1.pk,
        "occurred_precision": "approximate",
        "occurred_at": (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Seen on the shared screen in the team room.",
        "breach_types": ["unauthorised_disclosure"],
        "information_categories": ["care_protection"],
        "individuals_affected": "12",
        "individuals_affected_is_estimate": "on",
        "discovered_by": "colleague",
        "submission_token": str(uuid.uuid4()),
        "website": "",
    }
    data.update(overrides)
    return data


def send(client: Client, data: dict[str, Any], address: str = ADDRESS) -> HttpResponse:
    return client.post("/report-anonymously/", data, REMOTE_ADDR=address, HTTP_USER_AGENT=AGENT)


def code_of(response: HttpResponse) -> str:
    match = CODE_RE.search(response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


def follow(client: Client, data: dict[str, Any], address: str = ADDRESS) -> HttpResponse:
    return client.post("/follow-up/", data, REMOTE_ADDR=address, HTTP_USER_AGENT=AGENT)


def pass_of(response: HttpResponse) -> str:
    match = re.search(r'name="pass" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def every_stored_value() -> str:
    """Every row of every table of the project, as text (the test database is small)."""
    parts = []
    for model in apps.get_models():
        for row in model._default_manager.all().values():
            parts.append(repr(row))
    return "\n".join(parts)


# --- sending ----------------------------------------------------------------------------------


def test_both_pages_need_no_account(world: World) -> None:
    client = Client()
    for path in ("/report-anonymously/", "/follow-up/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in client.cookies


def test_a_report_is_sent_without_an_account_and_links_to_nobody(world: World) -> None:
    client = Client()
    events, sessions = AccessEvent.objects.count(), Session.objects.count()
    response = send(client, report_data(world))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    incident = Incident.objects.get(summary__startswith="Team leader forwards")
    assert incident.reporting == Incident.Reporting.ANONYMOUS
    assert incident.reporter.username == anonymous.ANONYMOUS_USERNAME
    assert incident.business_unit == world.site_b1
    assert incident.discovered_by == "colleague"
    assert incident.individuals_affected == 12 and incident.individuals_affected_is_estimate
    assert set(incident.breach_types.values_list("breach_type", flat=True)) == {
        "unauthorised_disclosure"
    }
    # Nothing about the sender anywhere: no access event, no session, no address, no agent,
    # no request id on the history rows.
    assert AccessEvent.objects.count() == events
    assert Session.objects.count() == sessions
    assert "sessionid" not in client.cookies
    stored = every_stored_value()
    assert ADDRESS not in stored and "ReporterBrowser" not in stored
    assert set(incident.history.values_list("request_id", flat=True)) == {""}


def test_a_signed_in_person_reporting_anonymously_is_not_linked(world: World) -> None:
    client = Client()
    client.force_login(world.reporter2)
    before = timezone.now()
    response = send(client, report_data(world))
    assert response.status_code == 200
    assert (
        "will <strong>not</strong> be linked" in client.get("/report-anonymously/").content.decode()
    )
    incident = Incident.objects.get(summary__startswith="Team leader forwards")
    assert incident.reporter_id != world.reporter2.pk
    for model in apps.get_models():
        if hasattr(model, "history_user") and hasattr(model, "history_date"):
            written = model._default_manager.filter(history_date__gte=before)
            assert not written.filter(history_user=world.reporter2).exists(), model
    assert not AccessEvent.objects.filter(user=world.reporter2).exists()
    assert "anonymous" not in repr(dict(client.session.items())).lower()


def test_the_code_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    response = send(Client(), report_data(world))
    code = code_of(response)
    assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){6}[2-9A-HJ-NP-Z]{4}", code)
    raw = code.replace("-", "")
    follow_up = AnonymousFollowUp.objects.get()
    assert follow_up.code_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = every_stored_value()
    assert raw not in stored and code not in stored
    assert "shown only this once" in response.content.decode()
    # A GET of the page never shows a code (nothing to show it from).
    assert not CODE_RE.search(Client().get("/report-anonymously/").content.decode())


def test_codes_are_random_and_read_back_however_typed() -> None:
    codes = {anonymous.new_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert anonymous.normalise_code(f"  {code.lower().replace('-', ' ')} ") == code.replace("-", "")
    assert anonymous.normalise_code(code[:-1]) is None
    assert anonymous.normalise_code(code[:-1] + "0") is None  # 0 and O, 1 and I are never used
    assert len(anonymous.CODE_ALPHABET) ** anonymous.CODE_LENGTH >= 2**128


def test_the_same_form_sent_again_is_the_same_report_another_form_another(world: World) -> None:
    client = Client()
    data = report_data(world)
    first = code_of(send(client, data))
    again = send(client, data)
    second = code_of(again)
    assert Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).count() == 1
    # Sent twice within moments (only the last answer is seen): a new code replaces the first.
    assert "already been sent" in again.content.decode() and first != second
    assert anonymous.follow_up_for_code(first) is None
    assert anonymous.follow_up_for_code(second) is not None
    # Later, the code is never shown again.
    Incident.objects.update(reported_at=timezone.now() - timedelta(hours=1))
    late = send(client, data)
    assert late.status_code == 200 and not CODE_RE.search(late.content.decode())
    assert "cannot be shown again" in late.content.decode()
    assert anonymous.follow_up_for_code(second) is not None
    # Another form (another token) is another report with its own code.
    code_of(send(client, report_data(world)))
    assert Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).count() == 2
    assert AnonymousFollowUp.objects.count() == 2


def test_csrf_is_enforced(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert send(client, report_data(world)).status_code == 403
    assert follow(client, {"code": "ABCD"}).status_code == 403
    assert not Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).exists()
    html = client.get("/report-anonymously/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = send(client, {**report_data(world), "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 200 and code_of(response)


def test_bad_input_gets_field_errors_and_keeps_everything(world: World) -> None:
    data = report_data(world, summary="", channel="fax", individuals_affected="-3")
    response = send(Client(), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"summary", "channel", "individuals_affected"}
    html = response.content.decode()
    assert "Seen on the shared screen in the team room.</textarea>" in html
    assert 'value="-3"' in html
    assert not Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).exists()


def test_a_filled_honeypot_sends_nothing(world: World) -> None:
    response = send(Client(), report_data(world, website="http://spam.example"))
    assert response.status_code == 400
    assert "leave this empty" in response.content.decode()
    assert "Seen on the shared screen in the team room.</textarea>" in response.content.decode()
    assert not Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).exists()


def test_too_many_reports_from_one_sender_get_a_429_and_keep_the_input(
    world: World, settings: Any
) -> None:
    settings.ANONYMOUS_REPORTS_PER_SENDER = 2
    client = Client()
    for _ in range(2):
        assert send(client, report_data(world)).status_code == 200
    response = send(client, report_data(world, description="Third one."))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Third one.</textarea>" in response.content.decode()
    assert Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).count() == 2
    # Someone else is not held up by this sender; nothing of either address is stored.
    assert send(client, report_data(world), address="198.51.100.9").status_code == 200
    assert ADDRESS not in every_stored_value()


def test_too_many_reports_overall_get_a_429(world: World, settings: Any) -> None:
    settings.ANONYMOUS_REPORTS_PER_WINDOW = 3
    client = Client()
    for i in range(3):
        assert send(client, report_data(world), address=f"198.51.100.{i}").status_code == 200
    assert send(client, report_data(world), address="198.51.100.200").status_code == 429
    assert Incident.objects.filter(reporting=Incident.Reporting.ANONYMOUS).count() == 3


# --- following up -----------------------------------------------------------------------------


@pytest.fixture
def two_reports(world: World) -> tuple[tuple[Incident, str], tuple[Incident, str]]:
    """Two anonymous reports (in officer_b's units) with their codes, and officers' comments."""
    client = Client()
    code_1 = code_of(send(client, report_data(world, summary="First anonymous report")))
    code_2 = code_of(send(client, report_data(world, summary="Second anonymous report")))
    first = Incident.objects.get(summary="First anonymous report")
    second = Incident.objects.get(summary="Second anonymous report")
    comment_add(
        incident=first, author=world.officer_b, body="Which team room was it?",
        visibility=Comment.Visibility.SHARED,
    )  # fmt: skip
    comment_add(
        incident=first, author=world.officer_b, body="Internal: ask HR about the team leader.",
        visibility=Comment.Visibility.INTERNAL,
    )  # fmt: skip
    comment_add(
        incident=second, author=world.officer_b, body="Was the e-mail sent outside the agency?",
        visibility=Comment.Visibility.SHARED,
    )  # fmt: skip
    return (first, code_1), (second, code_2)


def test_a_code_reaches_exactly_its_own_report(world: World, two_reports: Any) -> None:
    (first, code_1), (second, code_2) = two_reports
    client = Client()
    html = follow(client, {"code": code_1}).content.decode()
    assert first.reference in html and "Which team room was it?" in html
    assert second.reference not in html and "outside the agency" not in html
    # Nothing else of the incident: no internal note, no summary, no description, no officer.
    assert "Internal: ask HR" not in html
    assert "First anonymous report" not in html and "shared screen" not in html
    assert str(world.officer_b) not in html
    html = follow(client, {"code": code_2.lower().replace("-", " ")}).content.decode()
    assert second.reference in html and "outside the agency" in html
    assert first.reference not in html and "team room" not in html


def test_a_wrong_code_sees_nothing(world: World, two_reports: Any) -> None:
    (first, code_1), (second, _) = two_reports
    wrong = anonymous.new_code()
    for typed in (wrong, "not a code", code_1[:-1]):
        response = follow(Client(), {"code": typed})
        assert response.status_code == 400
        html = response.content.decode()
        assert first.reference not in html and second.reference not in html
        assert "team room" not in html
    assert "No report has that code" in follow(Client(), {"code": wrong}).content.decode()


def test_the_holder_answers_on_their_report_only(world: World, two_reports: Any) -> None:
    (first, code_1), (second, _) = two_reports
    client = Client()
    sessions = Session.objects.count()
    page = follow(client, {"code": code_1})
    response = follow(client, {"pass": pass_of(page), "body": "The one on the second floor."})
    assert response.status_code == 200
    # The code lives in no cookie, no session, no URL: only the page's signed pass.
    assert Session.objects.count() == sessions and "sessionid" not in client.cookies
    assert set(client.cookies) <= {"csrftoken"}
    assert ADDRESS not in every_stored_value()
    assert "your answer has been sent" in response.content.decode()
    answer = Comment.objects.get(body="The one on the second floor.")
    assert answer.incident == first
    assert answer.visibility == Comment.Visibility.SHARED
    assert answer.author.username == anonymous.ANONYMOUS_USERNAME
    assert not second.comments.filter(author=answer.author).exists()
    # Sent again (a refreshed page): still one answer. Shown as theirs, after the question.
    again = follow(client, {"pass": pass_of(page), "body": "The one on the second floor."})
    assert Comment.objects.filter(body="The one on the second floor.").count() == 1
    html = again.content.decode()
    assert html.index("Which team room") < html.index("The one on the second floor.")
    # A pass altered to point at the other report is refused; nothing is written there.
    payload, signature = pass_of(page).split(":", 1)
    assert signing.b64_decode(payload.encode()) == str(first.anonymous_follow_up.pk).encode()
    other = signing.b64_encode(str(second.anonymous_follow_up.pk).encode()).decode()
    forged = f"{other}:{signature}"
    response = follow(client, {"pass": forged, "body": "Written on the wrong report."})
    assert response.status_code == 400
    assert not Comment.objects.filter(body="Written on the wrong report.").exists()
    assert second.reference not in response.content.decode()


def test_an_expired_pass_asks_for_the_code_and_keeps_the_answer(
    world: World, two_reports: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first, code_1), _ = two_reports
    client = Client()
    page = follow(client, {"code": code_1})
    monkeypatch.setattr(anonymous, "FOLLOW_UP_SECONDS", -1)
    response = follow(client, {"pass": pass_of(page), "body": "Typed slowly."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter your code again" in html and "Typed slowly.</textarea>" in html
    assert first.reference not in html
    monkeypatch.setattr(anonymous, "FOLLOW_UP_SECONDS", 1800)
    response = follow(client, {"code": code_1, "body": "Typed slowly."})
    assert response.status_code == 200
    assert first.comments.filter(body="Typed slowly.").exists()


def test_a_closed_report_shows_its_status_and_takes_no_answer(
    world: World, two_reports: Any
) -> None:
    (first, code_1), _ = two_reports
    client = Client()
    opened = follow(client, {"code": code_1})  # opened while it was still open
    Incident.objects.filter(pk=first.pk).update(status=Incident.Status.CLOSED)
    html = follow(client, {"code": code_1}).content.decode()
    assert "Closed" in html and "answers are no longer taken" in html
    assert 'name="body"' not in html
    response = follow(client, {"pass": pass_of(opened), "body": "Late answer."})
    assert response.status_code == 400
    assert "This report is closed" in response.content.decode()
    assert not Comment.objects.filter(body="Late answer.").exists()


def test_reading_with_a_code_is_logged_without_the_sender(world: World, two_reports: Any) -> None:
    (first, code_1), _ = two_reports
    follow(Client(), {"code": code_1})
    event = AccessEvent.objects.get(incident=first)
    assert event.user.username == anonymous.ANONYMOUS_USERNAME
    assert event.ip_address is None and event.request_id == ""
    assert code_1 not in event.path and code_1.replace("-", "") not in repr(event.detail)


def test_the_follow_up_page_costs_a_fixed_number_of_queries(
    world: World, two_reports: Any, django_assert_num_queries: Any
) -> None:
    (first, code_1), _ = two_reports
    for i in range(5):
        comment_add(
            incident=first, author=world.officer_b, body=f"Question {i}",
            visibility=Comment.Visibility.SHARED,
        )  # fmt: skip
    client = Client()
    # The follow-up by its code's hash, the access event, the shared comments.
    with django_assert_num_queries(3):
        assert follow(client, {"code": code_1}).status_code == 200


def test_too_many_wrong_codes_get_a_429_even_for_a_right_one(
    world: World, two_reports: Any, settings: Any
) -> None:
    (first, code_1), _ = two_reports
    settings.ANONYMOUS_CODE_FAILURES_PER_SENDER = 3
    client = Client()
    for _ in range(3):
        assert follow(client, {"code": anonymous.new_code()}).status_code == 400
    response = follow(client, {"code": code_1, "body": "Kept while waiting."})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert first.reference not in html and "Kept while waiting.</textarea>" in html
    assert follow(client, {"code": code_1}, address="198.51.100.9").status_code == 200
    settings.ANONYMOUS_CODE_FAILURES_PER_WINDOW = 3
    assert follow(client, {"code": code_1}, address="198.51.100.10").status_code == 429


# --- the anonymous account --------------------------------------------------------------------


def test_the_anonymous_account_cannot_sign_in_or_see_anything(
    world: World, two_reports: Any
) -> None:
    account = User.objects.get(username=anonymous.ANONYMOUS_USERNAME)
    assert not account.is_active and not account.has_usable_password()
    assert account.role == User.Role.REPORTER and not account.is_staff
    assert not Incident.objects.visible_to(account).exists()
    assert not Incident.objects.handled_by(account).exists()
    request = RequestFactory().post("/login/")
    assert authenticate(request, username=anonymous.ANONYMOUS_USERNAME, password="") is None
    client = Client()
    response = client.post(
        "/login/", {"username": anonymous.ANONYMOUS_USERNAME, "password": "anything at all"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 400}


def test_the_anonymous_account_is_put_back_if_changed(world: World, two_reports: Any) -> None:
    account = User.objects.get(username=anonymous.ANONYMOUS_USERNAME)
    account.is_active = True
    account.role = User.Role.CHIEF_PRIVACY_OFFICER
    account.set_password("a known password 123")
    account.save()
    assert anonymous.anonymous_account().pk == account.pk
    account.refresh_from_db()
    assert not account.is_active and not account.has_usable_password()
    assert account.role == User.Role.REPORTER


def test_officers_see_the_anonymous_report_and_the_answer_on_the_timeline(
    world: World, two_reports: Any
) -> None:
    (first, code_1), _ = two_reports
    client = Client()
    page = follow(client, {"code": code_1})
    follow(client, {"pass": pass_of(page), "body": "Second floor, Tuesday."})
    officer = Client()
    officer.force_login(world.officer_b)
    assert first.reference in officer.get("/incidents/").content.decode()
    html = officer.get(first.get_absolute_url()).content.decode()
    assert "Second floor, Tuesday." in html
    # Outside officer_a's units: not theirs to see.
    officer.force_login(world.officer_a)
    assert officer.get(first.get_absolute_url()).status_code == 404


def test_a_privileged_session_without_its_second_factor_still_reaches_both_pages(
    world: World, settings: Any
) -> None:
    """The pages use no account, so the second factor guards nothing there; everything else
    stays behind it."""
    settings.MFA_REQUIRED = True
    client = Client()
    client.force_login(world.cpo)
    assert client.get("/incidents/").status_code == 302
    for path in ("/report-anonymously/", "/follow-up/"):
        assert client.get(path).status_code == 200, path
    assert send(client, report_data(world)).status_code == 200


def test_the_sign_in_page_leads_to_both_pages(world: World) -> None:
    html = Client().get("/login/").content.decode()
    assert 'href="/report-anonymously/"' in html and 'href="/follow-up/"' in html


def test_a_report_about_a_colleague_is_restricted_and_still_followed_up(
    world: World, two_reports: Any
) -> None:
    code = code_of(
        send(Client(), report_data(world, summary="About my manager", about_colleague="on"))
    )
    incident = Incident.objects.get(summary="About my manager")
    assert incident.about_colleague and incident.is_restricted
    assert set(incident.restricted_to.all()) == {world.cpo}
    officer = Client()
    officer.force_login(world.officer_b)
    assert officer.get(incident.get_absolute_url()).status_code == 404
    comment_add(
        incident=incident, author=world.cpo, body="Did anyone else see it?",
        visibility=Comment.Visibility.SHARED,
    )  # fmt: skip
    client = Client()
    page = follow(client, {"code": code})
    assert "Did anyone else see it?" in page.content.decode()
    follow(client, {"pass": pass_of(page), "body": "Only me."})
    assert incident.comments.filter(body="Only me.").exists()
