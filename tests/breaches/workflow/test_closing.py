"""Issue 13: closing an incident that has open actions asks what happens to each of them — done,
or carried over (still open, owned and due as it was) with a reason — and records the answer.
Without an answer for each, closing is refused at the field, on the page and through the API;
an incident without open actions closes as before."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from breaches.models import Action, Incident
from breaches.models.response import CARRIED_OVER_ON_CLOSING, DONE_ON_CLOSING
from breaches.response.actions import ClosingAnswer, action_create
from breaches.workflow.services import incident_transition
from config import kept_input
from tests.breaches.workflow.test_transitions import prepare
from tests.conftest import World

pytestmark = pytest.mark.django_db

S = Incident.Status
DONE, CARRIED = "done", "carried_over"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def in_remediation(world: World) -> Incident:
    """Incident A: a breach, notified, in remediation — closing is the next move."""
    return prepare(world, Incident.Kind.BREACH, S.REMEDIATION)


def add(world: World, incident: Incident, title: str, *, days: int = 7, owner=None) -> Action:  # type: ignore[no-untyped-def]
    """An action due in ``days`` (negative: already overdue, as the calendar moved on)."""
    action = action_create(
        incident=incident, actor=world.officer_a, title=title, owner=owner or world.reporter,
        due_date=timezone.localdate(),
    )  # fmt: skip
    Action.objects.filter(pk=action.pk).update(due_date=timezone.localdate() + timedelta(days=days))
    action.refresh_from_db()
    return action


def status(incident: Incident) -> str:
    return Incident.objects.values_list("status", flat=True).get(pk=incident.pk)


def has_error(page: str, element_id: str) -> bool:
    tag = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', page)
    return tag is not None and "has-error" in tag.group(0)


def closing_form(page: str) -> str:
    """The close step's form on the incident page."""
    forms = re.findall(r'<form[^>]*class="transition-form[^"]*"[^>]*>.*?</form>', page, re.S)
    closing = [f for f in forms if 'name="to" value="closed"' in f]
    assert len(closing) == 1, "one close form"
    return closing[0]


# --- no open actions: as before ---------------------------------------------------------------


def test_an_incident_without_open_actions_closes_as_before(world: World) -> None:
    incident = in_remediation(world)
    finished = add(world, incident, "Already done")
    Action.objects.filter(pk=finished.pk).update(status=Action.Status.DONE)
    page = signed_in(world.officer_a).get(incident.get_absolute_url()).content.decode()
    assert "what happens to each open action" not in closing_form(page)
    response = signed_in(world.officer_a).post(
        f"/incidents/{incident.reference}/transition/", {"to": "closed"}
    )
    assert response.status_code == 302 and status(incident) == S.CLOSED
    history = Incident.objects.get(pk=incident.pk).history.latest("history_id")
    assert history.history_change_reason == "Close"


def test_an_incident_without_open_actions_closes_through_the_api_as_before(world: World) -> None:
    incident = in_remediation(world)
    url = f"/api/v1/incidents/{incident.reference}/transition/"
    response = api(world.officer_a).post(url, {"to": "closed"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"reference": incident.reference, "status": "closed"}


# --- the service ------------------------------------------------------------------------------


def test_closing_with_open_actions_and_no_answers_is_refused(world: World) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team")
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=S.CLOSED, actor=world.officer_a)
    errors = caught.value.message_dict["actions"]
    assert errors == [
        "Say whether “Recall the letters” is done or carried over.",
        "Say whether “Train the team” is done or carried over.",
    ]
    # One answered, the other not: still refused, and nothing is changed.
    with pytest.raises(ValidationError) as caught:
        incident_transition(
            incident=incident, to=S.CLOSED, actor=world.officer_a,
            actions=[ClosingAnswer(late.pk, DONE)],
        )  # fmt: skip
    assert caught.value.message_dict["actions"] == [
        "Say whether “Train the team” is done or carried over."
    ]
    assert status(incident) == S.REMEDIATION
    assert set(Action.objects.values_list("status", flat=True)) == {Action.Status.OPEN}
    assert not Action.objects.filter(pk=later.pk, carried_over_at__isnull=False).exists()


def test_carrying_over_needs_a_reason(world: World) -> None:
    incident = in_remediation(world)
    action = add(world, incident, "Train the team")
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            incident_transition(
                incident=incident, to=S.CLOSED, actor=world.officer_a,
                actions=[ClosingAnswer(action.pk, CARRIED, reason)],
            )  # fmt: skip
        assert caught.value.message_dict["actions"] == ["Say why “Train the team” is carried over."]
    with pytest.raises(ValidationError):
        incident_transition(
            incident=incident, to=S.CLOSED, actor=world.officer_a,
            actions=[ClosingAnswer(action.pk, "forgotten")],
        )  # fmt: skip
    assert status(incident) == S.REMEDIATION


def test_each_answer_is_recorded_who_when_which_and_why(world: World) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team", owner=world.officer_a)
    before = timezone.now()
    incident_transition(
        incident=incident, to=S.CLOSED, actor=world.cpo,
        actions=[ClosingAnswer(late.pk, DONE), ClosingAnswer(later.pk, CARRIED, "Needs the budget")],
    )  # fmt: skip
    assert status(incident) == S.CLOSED
    late.refresh_from_db()
    later.refresh_from_db()
    assert late.status == Action.Status.DONE and late.completed_at is not None
    # Carried over: still open, owned and due as it was, with when and why.
    assert later.status == Action.Status.OPEN and later.owner == world.officer_a
    assert later.due_date == timezone.localdate() + timedelta(days=7)
    assert later.carry_over_reason == "Needs the budget"
    assert later.carried_over_at is not None and later.carried_over_at >= before
    # The history of each action says who decided, when, and which way.
    done_row = late.history.latest("history_id")
    assert (done_row.history_user, done_row.history_change_reason, done_row.status) == (
        world.cpo, DONE_ON_CLOSING, Action.Status.DONE,
    )  # fmt: skip
    carried_row = later.history.latest("history_id")
    assert (
        carried_row.history_user, carried_row.history_change_reason,
        carried_row.carry_over_reason, carried_row.status,
    ) == (world.cpo, CARRIED_OVER_ON_CLOSING, "Needs the budget", Action.Status.OPEN)  # fmt: skip
    assert carried_row.history_date >= before
    # The incident's own history (its timeline) says what became of them.
    closed = Incident.objects.get(pk=incident.pk).history.latest("history_id")
    assert closed.status == S.CLOSED and closed.history_user == world.cpo
    assert closed.history_change_reason == "Close (open actions: 1 marked done and 1 carried over)"


def test_answers_about_other_incidents_actions_are_refused(world: World) -> None:
    incident = in_remediation(world)
    action = add(world, incident, "Train the team")
    elsewhere = Action.objects.create(
        incident=world.incident_b, title="Theirs", owner=world.reporter2,
        due_date=timezone.localdate(), created_by=world.officer_b,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        incident_transition(
            incident=incident, to=S.CLOSED, actor=world.cpo,
            actions=[ClosingAnswer(action.pk, DONE), ClosingAnswer(elsewhere.pk, DONE)],
        )  # fmt: skip
    assert caught.value.message_dict["actions"] == [
        f"Action {elsewhere.pk} is not an action of this incident."
    ]
    assert Action.objects.get(pk=elsewhere.pk).status == Action.Status.OPEN
    assert status(incident) == S.REMEDIATION


def test_answers_are_only_for_closing(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(status=S.CLOSED)
    action = add(world, world.incident_a, "Train the team")
    with pytest.raises(ValidationError) as caught:
        incident_transition(
            incident=world.incident_a, to=S.REOPENED, actor=world.officer_a, reason="New facts",
            actions=[ClosingAnswer(action.pk, DONE)],
        )  # fmt: skip
    assert "Only closing" in caught.value.message_dict["actions"][0]


def test_a_near_miss_closing_from_triage_asks_too(world: World) -> None:
    incident = prepare(world, Incident.Kind.NEAR_MISS, S.TRIAGE)
    action = add(world, incident, "Lock the tray")
    with pytest.raises(ValidationError):
        incident_transition(incident=incident, to=S.CLOSED, actor=world.officer_a)
    incident_transition(
        incident=incident, to=S.CLOSED, actor=world.officer_a,
        actions=[ClosingAnswer(action.pk, DONE)],
    )  # fmt: skip
    assert status(incident) == S.CLOSED


# --- the page ---------------------------------------------------------------------------------


def test_the_close_step_asks_about_each_open_action_and_calls_out_the_overdue(
    world: World,
) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team")
    page = signed_in(world.officer_a).get(incident.get_absolute_url()).content.decode()
    form = closing_form(page)
    assert "Before closing: what happens to each open action?" in form
    rows = re.findall(r'<div class="closing-row[^"]*">.*?</select>', form, re.S)
    assert len(rows) == 2
    late_row, later_row = rows
    assert "Recall the letters" in late_row and "Overdue" in late_row
    assert 'class="closing-row overdue"' in late_row
    assert "Train the team" in later_row and "Overdue" not in later_row
    assert form.count('name="open_action"') == 2
    assert f'name="open_action" value="{late.pk}"' in form
    assert f'name="open_action" value="{later.pk}"' in form
    assert 'value="done">Mark it done</option>' in form
    assert "Carry it over" in form
    assert "error-summary" not in form


def test_the_page_refuses_closing_without_answers_beside_each_action(world: World) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team")
    client = signed_in(world.officer_a)
    url = f"/incidents/{incident.reference}/transition/"
    response = client.post(url, {"to": "closed"})
    assert response.status_code == 400
    form = unescape(closing_form(response.content.decode()))
    assert 'id="error-summary"' in form and "The incident was not moved on" in form
    assert 'href="#field-move_outcome"' in form
    for action in (late, later):
        assert has_error(form, f"field-move_outcome_{action.pk}")
        assert f'id="move_outcome_{action.pk}_error"' in form
        assert f"Say whether “{action.title}” is done or carried over." in form
        assert re.search(
            rf'<select name="outcome" id="move_outcome_{action.pk}" '
            rf'aria-describedby="move_action_{action.pk} move_outcome_{action.pk}_error"', form
        )  # fmt: skip
    assert "Overdue" in form
    assert status(incident) == S.REMEDIATION

    # One done, one carried over without a reason: the reason is asked for, beside its row,
    # and what was chosen comes back chosen.
    response = client.post(
        url,
        {"to": "closed", "open_action": [late.pk, later.pk], "outcome": [DONE, CARRIED],
         "carry_reason": ["", ""]},
    )  # fmt: skip
    assert response.status_code == 400
    form = unescape(closing_form(response.content.decode()))
    assert not has_error(form, f"field-move_outcome_{late.pk}")
    assert has_error(form, f"field-move_carry_reason_{later.pk}")
    assert "Say why “Train the team” is carried over." in form
    assert '<option value="done" selected>' in form
    assert '<option value="carried_over" selected>' in form
    assert Action.objects.get(pk=late.pk).status == Action.Status.OPEN

    response = client.post(
        url,
        {"to": "closed", "open_action": [late.pk, later.pk], "outcome": [DONE, CARRIED],
         "carry_reason": ["", "Waiting on the vendor"]},
    )  # fmt: skip
    assert response.status_code == 302 and status(incident) == S.CLOSED
    assert Action.objects.get(pk=late.pk).status == Action.Status.DONE
    carried = Action.objects.get(pk=later.pk)
    assert carried.status == Action.Status.OPEN
    assert carried.carry_over_reason == "Waiting on the vendor"
    # The incident page shows it: the carried-over action with its reason, the close on the
    # timeline with what became of the open actions.
    page = client.get(incident.get_absolute_url())
    assert "Waiting on the vendor" in page.content.decode()
    assert "Carried over when the incident was closed" in page.content.decode()
    timeline = page.context["timeline"]
    assert any(
        "1 marked done and 1 carried over" in e.text
        and any(c.field == "status" and c.new == "Closed" for c in e.changes)
        for e in timeline
    )


def test_an_action_added_while_the_form_was_open_is_asked_about(world: World) -> None:
    """The closing form answered for one action; another was added meanwhile: refused, and the
    page asks about both."""
    incident = in_remediation(world)
    first = add(world, incident, "Recall the letters")
    client = signed_in(world.officer_a)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert f'name="open_action" value="{first.pk}"' in closing_form(page)
    second = add(world, incident, "Train the team")
    response = client.post(
        f"/incidents/{incident.reference}/transition/",
        {"to": "closed", "open_action": [first.pk], "outcome": [DONE], "carry_reason": [""]},
    )
    assert response.status_code == 400
    form = unescape(closing_form(response.content.decode()))
    assert f'name="open_action" value="{second.pk}"' in form
    assert has_error(form, f"field-move_outcome_{second.pk}")
    assert status(incident) == S.REMEDIATION


def test_the_closing_answers_are_kept_across_an_expired_session(world: World) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team")
    client = Client()  # the session has expired
    response = client.post(
        f"/incidents/{incident.reference}/transition/",
        {"to": "closed", "open_action": [late.pk, later.pk], "outcome": [DONE, CARRIED],
         "carry_reason": ["", "Waiting on the vendor"],
         "draft_owner": kept_input.owner_token(world.officer_a.pk)},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert status(incident) == S.REMEDIATION
    client.force_login(world.officer_a)
    page = client.get(f"/incidents/{incident.reference}/?restore=1")
    form = unescape(closing_form(page.content.decode()))
    assert "You were doing this when your session expired" in form
    assert '<option value="done" selected>' in form
    assert '<option value="carried_over" selected>' in form
    assert 'value="Waiting on the vendor"' in form
    assert "error-summary" not in form
    assert status(incident) == S.REMEDIATION


def test_garbled_rows_are_refused_never_a_500(world: World) -> None:
    incident = in_remediation(world)
    action = add(world, incident, "Train the team")
    client = signed_in(world.officer_a)
    url = f"/incidents/{incident.reference}/transition/"
    for data in (
        {"to": "closed", "open_action": ["x", str(2**70)], "outcome": ["done", "done"]},
        {"to": "closed", "open_action": [action.pk], "outcome": []},
        {"to": "closed", "open_action": [action.pk], "outcome": ["\x00"], "carry_reason": ["\x00"]},
        {"to": "closed", "open_action": [action.pk], "outcome": [CARRIED], "carry_reason": ["x" * 1001]},
    ):  # fmt: skip
        response = client.post(url, data)
        assert response.status_code == 400, data
    assert status(incident) == S.REMEDIATION


# --- the API ----------------------------------------------------------------------------------


def test_the_api_refuses_closing_without_an_answer_for_each_open_action(world: World) -> None:
    incident = in_remediation(world)
    late = add(world, incident, "Recall the letters", days=-3)
    later = add(world, incident, "Train the team")
    url = f"/api/v1/incidents/{incident.reference}/transition/"
    client = api(world.officer_a)
    refused = client.post(url, {"to": "closed"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "actions": [
            "Say whether “Recall the letters” is done or carried over.",
            "Say whether “Train the team” is done or carried over.",
        ]
    }
    no_reason = client.post(
        url,
        {"to": "closed", "actions": [{"id": late.pk, "outcome": "done"},
                                     {"id": later.pk, "outcome": "carried_over"}]},
        format="json",
    )  # fmt: skip
    assert no_reason.status_code == 400
    assert no_reason.json() == {"actions": ["Say why “Train the team” is carried over."]}
    bad = client.post(
        url, {"to": "closed", "actions": [{"id": late.pk, "outcome": "maybe", "colour": "red"}]},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400 and "actions" in bad.json()
    assert status(incident) == S.REMEDIATION
    ok = client.post(
        url,
        {"to": "closed", "actions": [
            {"id": late.pk, "outcome": "done"},
            {"id": later.pk, "outcome": "carried_over", "reason": "Needs the budget"},
        ]},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 200, ok.json()
    assert ok.json() == {"reference": incident.reference, "status": "closed"}
    assert Action.objects.get(pk=late.pk).status == Action.Status.DONE
    assert Action.objects.get(pk=later.pk).carry_over_reason == "Needs the budget"
    latest = Action.objects.get(pk=later.pk).history.latest("history_id")
    assert latest.history_user == world.officer_a
    # Its owner (the reporter, who can see the incident) reads why on "My actions".
    mine = signed_in(world.reporter).get("/incidents/actions/mine/").content.decode()
    assert "Carried over when its incident was closed" in mine and "Needs the budget" in mine


def test_an_owner_who_cannot_see_the_incident_is_not_told_why_it_was_carried_over(
    world: World,
) -> None:
    incident = in_remediation(world)
    theirs = Action.objects.create(
        incident=incident, title="Shred the copies", owner=world.reporter2,
        due_date=timezone.localdate(), created_by=world.officer_a,
    )  # fmt: skip
    incident_transition(
        incident=incident, to=S.CLOSED, actor=world.officer_a,
        actions=[ClosingAnswer(theirs.pk, CARRIED, "The mother's file is still at the site")],
    )  # fmt: skip
    mine = signed_in(world.reporter2).get("/incidents/actions/mine/").content.decode()
    assert "Shred the copies" in mine
    assert "Carried over" not in mine and "mother" not in mine


def test_the_api_refuses_answers_when_not_closing(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(status=S.REPORTED)
    action = add(world, world.incident_a, "Train the team")
    url = f"/api/v1/incidents/{world.incident_a.reference}/transition/"
    refused = api(world.officer_a).post(
        url, {"to": "triage", "actions": [{"id": action.pk, "outcome": "done"}]}, format="json"
    )
    assert refused.status_code == 400 and "actions" in refused.json()
    assert status(world.incident_a) == S.REPORTED
