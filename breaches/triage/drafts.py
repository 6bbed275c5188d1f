"""Draft notifications as PDF, made with WeasyPrint from the incident's own data (SPEC §4.3).

- To the Privacy Commissioner: the facts the Commissioner's online breach form asks for.
- To an affected person: what s117 of the Privacy Act 2020 requires a notice to contain.

They are drafts for an officer to check and send; nothing is sent from here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import organisation
from accounts.models import User
from breaches.models import Comment, Decision, Incident


def _context(incident: Incident, officer: User) -> dict[str, Any]:
    latest = incident.assessments.order_by("-created_at", "-id").first()
    decision = (
        Decision.objects.filter(incident=incident, superseded_by__isnull=True)
        .order_by("-decided_at", "-id")
        .first()
    )
    facts = latest.facts if latest else {}
    return {
        "incident": incident,
        "officer": officer,
        "assessment": latest,
        "facts": facts,
        "decision": decision,
        "breach_types": [t.get_breach_type_display() for t in incident.breach_types.all()],
        "categories": _categories(incident, facts),
        "recipient": _recipient_text(facts.get("recipient")),
        "harm_types": [h.replace("_", " ") for h in facts.get("harm_types", [])],
        "today": timezone.localdate(),
        "agency": organisation.current().agency_name,
        "shared_updates": incident.comments.filter(visibility=Comment.Visibility.SHARED).count(),
    }


def _categories(incident: Incident, facts: dict[str, Any]) -> list[str]:
    """The report's categories, or the assessed facts' when the report has none."""
    from breaches.models import IncidentInformationCategory

    labels = dict(IncidentInformationCategory.Category.choices)
    codes = list(incident.information_categories.values_list("category", flat=True))
    return [labels[c] for c in (codes or facts.get("info_categories", [])) if c in labels]


def _recipient_text(value: str | None) -> str:
    from breaches.triage.forms import RECIPIENT_LABELS

    return RECIPIENT_LABELS.get(value or "", "Not yet established")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: it needs Pango, and only drafts use it

    html = render_to_string(template, context)
    # Tagged (PDF/UA-1), like the quarterly report (reporting/pdf.py): a structure tree from the
    # HTML, /MarkInfo, and the language and title from <html lang> and <title>.
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1", pdf_tags=True
    )
    return pdf


def regulator_draft(incident: Incident, officer: User) -> bytes:
    return render_pdf("breaches/triage/drafts/regulator.html", _context(incident, officer))


def individual_letter(incident: Incident, officer: User) -> bytes:
    return render_pdf("breaches/triage/drafts/letter.html", _context(incident, officer))
