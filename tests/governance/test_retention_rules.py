"""Retention rules: proposed by an administrator, in force only once the chief privacy officer
approves, never approved by the person who proposed them; bad input answered field by field."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from breaches.models import Incident
from governance.models import RetentionRule
from governance.retention import rule_decide, rule_propose
from tests.conftest import World
from tests.governance.conftest import PASSWORD

pytestmark = pytest.mark.django_db

S = RetentionRule.Status


def propose(world: World, years: int = 7, **overrides: object) -> RetentionRule:
    fields: dict[str, object] = {
        "kind": Incident.Kind.BREACH, "notifiable": True, "years": years,
        "authority": "DA 1234, class 2.1", "reason": "The schedule says seven years.",
    }  # fmt: skip
    fields.update(overrides)
    return rule_propose(actor=world.admin, **fields)  # type: ignore[arg-type]


def test_a_proposed_rule_takes_effect_only_when_the_cpo_approves(world: World) -> None:
    rule = propose(world)
    assert rule.status == S.PROPOSED
    assert not RetentionRule.objects.in_force().exists()
    approved = rule_decide(rule=rule, actor=world.cpo, approve=True, password=PASSWORD)
    assert approved.status == S.IN_FORCE
    assert (approved.decided_by, approved.proposed_by) == (world.cpo, world.admin)
    # A change replaces it only once approved in turn; the old version stays, superseded.
    change = propose(world, years=10, reason="New schedule.")
    assert RetentionRule.objects.in_force().get() == approved
    rule_decide(rule=change, actor=world.cpo, approve=True, password=PASSWORD, note="Agreed.")
    assert RetentionRule.objects.in_force().get().years == 10
    approved.refresh_from_db()
    assert approved.status == S.SUPERSEDED and approved.superseded_at is not None
    # Who did what, in the history.
    actions = [
        (h.history_user, h.history_change_reason) for h in approved.history.order_by("history_id")
    ]
    assert actions == [
        (world.admin, "proposed"),
        (world.cpo, "approved"),
        (world.cpo, f"superseded by rule {change.pk}"),
    ]


def test_a_refused_rule_never_takes_effect(world: World) -> None:
    rule = propose(world)
    refused = rule_decide(rule=rule, actor=world.cpo, approve=False, password=PASSWORD, note="No.")
    assert refused.status == S.REFUSED
    assert not RetentionRule.objects.in_force().exists()
    with pytest.raises(ValidationError, match="already been decided"):
        rule_decide(rule=rule, actor=world.cpo, approve=True, password=PASSWORD)


def test_nobody_approves_their_own_change(world: World) -> None:
    # The CPO's own proposal (made before a change of role, say) waits for someone else.
    own = RetentionRule.objects.create(
        kind="near_miss", years=1, authority="DA 1", reason="r", proposed_by=world.cpo
    )
    with pytest.raises(PermissionDenied, match="own change"):
        rule_decide(rule=own, actor=world.cpo, approve=True, password=PASSWORD)
    own.refresh_from_db()
    assert own.status == S.PROPOSED


@pytest.mark.parametrize("persona", ["admin", "officer_a", "reporter", "executive"])
def test_only_the_cpo_decides(world: World, persona: str) -> None:
    rule = propose(world)
    with pytest.raises(PermissionDenied):
        rule_decide(rule=rule, actor=world.persona(persona), approve=True, password=PASSWORD)  # type: ignore[arg-type]
    assert RetentionRule.objects.get(pk=rule.pk).status == S.PROPOSED


@pytest.mark.parametrize("persona", ["cpo", "officer_a", "reporter", "executive"])
def test_only_administrators_propose(world: World, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        rule_propose(
            actor=world.persona(persona), kind="breach", notifiable=True, years=7,  # type: ignore[arg-type]
            authority="DA 1", reason="r",
        )  # fmt: skip
    assert not RetentionRule.objects.exists()


def test_approval_asks_for_the_password_again(world: World) -> None:
    rule = propose(world)
    with pytest.raises(ValidationError) as caught:
        rule_decide(rule=rule, actor=world.cpo, approve=True, password="not it")
    assert "password" in caught.value.message_dict
    assert RetentionRule.objects.get(pk=rule.pk).status == S.PROPOSED


def test_one_proposal_waits_per_class(world: World) -> None:
    propose(world)
    with pytest.raises(ValidationError) as caught:
        propose(world, years=9)
    assert "already waiting" in caught.value.message_dict["kind"][0]
    # Another class is independent.
    propose(world, notifiable=False, years=2)
    assert RetentionRule.objects.waiting().count() == 2


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("cpo", 200), ("officer_a", 404), ("reporter", 404), ("executive", 404)],
)
def test_rules_page_is_for_administrators_and_the_cpo(
    world: World, client: Client, persona: str, status: int
) -> None:
    client.force_login(world.persona(persona))  # type: ignore[arg-type]
    assert client.get("/governance/retention/").status_code == status


def test_rules_page_sends_the_anonymous_to_sign_in(world: World, client: Client) -> None:
    assert client.get("/governance/retention/").status_code == 302
    response = client.post("/governance/retention/propose/", {"kind": "breach"})
    assert response.status_code == 302
    assert not RetentionRule.objects.exists()


def test_propose_and_approve_through_the_pages(world: World, client: Client) -> None:
    client.force_login(world.admin)
    page = client.get("/governance/retention/").content.decode()
    assert "Propose a rule" in page and "No rule: never disposed of" in page
    response = client.post(
        "/governance/retention/propose/",
        {"kind": "near_miss", "years": "1", "authority": "DA 1234, class 3", "reason": "Short."},
    )
    assert response.status_code == 302
    rule = RetentionRule.objects.get()
    assert (rule.kind, rule.notifiable, rule.years, rule.status) == (
        "near_miss",
        False,
        1,
        "proposed",
    )
    # The administrator cannot decide; the CPO sees the decision form.
    assert client.post(f"/governance/retention/{rule.pk}/decide/", {}).status_code == 404
    client.force_login(world.cpo)
    page = client.get("/governance/retention/").content.decode()
    assert f'action="/governance/retention/{rule.pk}/decide/"' in page
    assert "Propose a rule" not in page
    wrong = client.post(
        f"/governance/retention/{rule.pk}/decide/", {"decision": "approve", "password": "nope"}
    )
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    assert RetentionRule.objects.get().status == "proposed"
    response = client.post(
        f"/governance/retention/{rule.pk}/decide/", {"decision": "approve", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert RetentionRule.objects.get().status == "in_force"
    # Deciding it again: told, not a 500.
    again = client.post(
        f"/governance/retention/{rule.pk}/decide/", {"decision": "refuse", "password": PASSWORD}
    )
    assert again.status_code == 302
    assert RetentionRule.objects.get().status == "in_force"
    assert client.post("/governance/retention/999999/decide/", {}).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"years": "0"}, "years", "greater than or equal to 1"),
        ({"years": "101"}, "years", "less than or equal to 100"),
        ({"years": "seven"}, "years", "Enter a whole number"),
        ({"years": ""}, "years", "This field is required"),
        ({"authority": ""}, "authority", "This field is required"),
        ({"authority": "x" * 201}, "authority", "at most 200 characters"),
        ({"reason": "  "}, "reason", "This field is required"),
        ({"kind": "incident"}, "kind", "Select a valid choice"),
        (
            {"kind": "near_miss", "notifiable": "on"},
            "notifiable",
            "A near miss is never notifiable",
        ),
    ],
)
def test_bad_input_gets_field_errors_never_a_500(
    world: World, client: Client, data: dict[str, str], field: str, message: str
) -> None:
    client.force_login(world.admin)
    posted = {"kind": "breach", "years": "7", "authority": "DA 1", "reason": "Why.", **data}
    response = client.post("/governance/retention/propose/", posted)
    assert response.status_code == 400
    form = response.context["proposal_form"]
    assert any(message in e for e in form.errors[field]), form.errors
    assert not RetentionRule.objects.exists()
    # What was typed is still there.
    assert (form["authority"].value() or "") == posted["authority"]


def test_a_second_proposal_for_a_class_is_a_field_error(world: World, client: Client) -> None:
    propose(world)
    client.force_login(world.admin)
    response = client.post(
        "/governance/retention/propose/",
        {"kind": "breach", "notifiable": "on", "years": "8", "authority": "DA", "reason": "r"},
    )
    assert response.status_code == 400
    assert "already waiting for approval" in response.content.decode()
    assert RetentionRule.objects.count() == 1
