"""``POST /api/v1/triage/assess/``: SPEC §4.1 facts in, the §4.2 result out, nothing stored."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import organisation
from breaches.triage.engine import FactsError, parse_facts
from breaches.triage.services import run_engine

EXAMPLE = {
    "jurisdiction": "NZ",
    "kind": "breach",
    "breach_types": ["unauthorised_disclosure"],
    "info_categories": ["care_protection", "family_violence", "location"],
    "individuals_affected": 1,
    "vulnerable_individuals": True,
    "recipient": "person_posing_risk",
    "security_measures": "none",
    "key_compromised": False,
    "contained": "not",
    "harm_occurred": True,
    "harm_types": ["physical", "emotional"],
    "backup_available": None,
    "aware_at": "2026-03-02T09:30:00+13:00",
}
# The "wrong, but harmless, person" (SPEC §4.1 ``known_individual``, rule sets @2): another
# customer received one customer's bank statement.
WRONG_CUSTOMER = {
    "jurisdiction": "GDPR",
    "kind": "breach",
    "breach_types": ["unauthorised_disclosure"],
    "info_categories": ["contact", "financial"],
    "individuals_affected": 1,
    "recipient": "known_individual",
    "security_measures": "none",
    "contained": "partially",
    "aware_at": "2026-03-02T09:30:00+01:00",
}


class TriageAssessView(APIView):
    """Preview the engine's recommendation for a set of facts. Stores nothing."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample("SPEC §4.1", value=EXAMPLE, request_only=True),
            OpenApiExample(
                "Another customer got the letter", value=WRONG_CUSTOMER, request_only=True
            ),
        ],
        description="Facts as in SPEC §4.1; result as in §4.2, from the latest rule set of "
        "the facts' jurisdiction (nz-privacy-act-2020@2, gdpr@2, au-ndb@2). `recipient` is one "
        "of none, trusted_internal, trusted_external, known_individual, unknown, public, "
        "malicious, person_posing_risk. A 400 names each bad field and the allowed values.",
    )
    def post(self, request: Request) -> Response:
        try:
            facts = parse_facts(
                request.data, default_jurisdiction=organisation.current().default_jurisdiction
            )
        except FactsError as exc:
            return Response({k: [v] for k, v in exc.errors.items()}, status=400)
        return Response(run_engine(facts).to_dict())
