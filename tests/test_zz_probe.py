import datetime, json
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from breaches.models import Action
from tests.conftest import PERSONAS, add_evidence
from tests.breaches.triage.engine.test_facts import VALID

pytestmark = pytest.mark.django_db


def action(w):
    return Action.objects.create(
        incident=w.incident_a,
        title="Lock the cabinet",
        owner=w.reporter2,
        due_date=datetime.date(2030, 1, 1),
        created_by=w.officer_a,
    )


CANDS = [
    ("GET", lambda w: "/login/", None),
    ("GET", lambda w: "/logout/", None),
    ("POST", lambda w: "/logout/", {}),
    ("GET", lambda w: "/api/v1/", None),
    ("GET", lambda w: f"/incidents/{w.incident_a.reference}/transition/", None),
    ("POST", lambda w: f"/incidents/{w.incident_a.reference}/transition/", {"to": "triage"}),
    (
        "POST",
        lambda w: f"/incidents/{w.incident_a.reference}/notifications/",
        {"recipient": "regulator", "method": "not_notified", "reason": "x"},
    ),
    (
        "POST",
        lambda w: f"/incidents/{w.incident_a.reference}/actions/",
        {"title": "T", "kind": "remediation", "owner": w.reporter.pk, "due_date": "2030-01-01"},
    ),
    (
        "POST",
        lambda w: f"/incidents/{w.incident_a.reference}/restriction/",
        {"people": [w.named.pk], "reason": "x"},
    ),
    ("POST", lambda w: f"/incidents/{w.incident_a.reference}/triage/decision/", {}),
    ("POST", lambda w: f"/incidents/{w.incident_a.reference}/comments/", {"body": "Noted."}),
    ("POST", lambda w: f"/incidents/{w.incident_a.reference}/attachments/", {}),
    ("POST", lambda w: f"/incidents/actions/{action(w).pk}/status/", {"status": "done"}),
    ("POST", lambda w: "/api/v1/triage/assess/", VALID),
    ("POST", lambda w: f"/api/v1/actions/{action(w).pk}/status/", {"status": "done"}),
    ("POST", lambda w: f"/api/v1/incidents/{w.incident_a.reference}/transition/", {"to": "triage"}),
    (
        "POST",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/restriction/",
        {"restricted": True, "people": ["named"], "reason": "x"},
    ),
    ("GET", lambda w: f"/api/v1/incidents/{w.incident_a.reference}/transition/", None),
    ("GET", lambda w: f"/api/v1/incidents/{w.incident_a.reference}/restriction/", None),
    ("GET", lambda w: "/api/v1/triage/assess/", None),
    ("GET", lambda w: f"/api/v1/actions/{action(w).pk}/status/", None),
    ("GET", lambda w: f"/incidents/actions/{action(w).pk}/status/", None),
]


@pytest.mark.parametrize("i", range(len(CANDS)))
def test_probe(world, i):
    method, url, data = CANDS[i]
    out = {}
    for persona in [*PERSONAS, "anonymous"]:
        sid = __import__("django.db").db.transaction.savepoint()
        user = world.persona(persona)
        u = url(world)
        client = Client()
        if user is not None:
            if u.startswith("/api/"):
                token = Token.objects.create(user=user)
                client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
            else:
                client.force_login(user)
        if method == "GET":
            r = client.get(u)
        elif u.startswith("/api/"):
            r = client.post(u, json.dumps(data), content_type="application/json")
        else:
            r = client.post(u, data)
        out[persona] = r.status_code
        __import__("django.db").db.transaction.savepoint_rollback(sid)
    print("\nPROBE", method, url(world), out)
