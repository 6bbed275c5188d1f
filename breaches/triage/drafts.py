"""Draft notifications as PDF, made with WeasyPrint from the incident's own data (SPEC §4.3,
§4.4), following the incident's law:

- New Zealand (Privacy Act 2020, Part 6 subpart 1): to the Privacy Commissioner, the facts the
  Commissioner's NotifyUs form asks for and s117(1)'s content; to the person, s117(2)'s.
- GDPR: to the supervisory authority, Art. 33(3)'s content; to the data subject, Art. 34(2)'s.
- Australia (Privacy Act 1988): the s26WK statement to the Australian Information
  Commissioner; the s26WL notice (the statement's contents) to the individuals.

Each item is labelled with its provision. What the report does not hold comes from the
incident's ``NotificationContent``; what is still missing is listed on the draft itself
(``breaches.triage.completeness``). They are drafts for an officer to check and send; nothing
is sent from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import organisation
from accounts.models import User
from breaches.models import (
    Comment,
    Decision,
    Incident,
    IndividualNotice,
    Notification,
    NotificationContent,
)
from breaches.triage.completeness import (
    TITLES,
    draft_checks,
    late_for_regulator,
    supervisory_authority,
)


@dataclass(frozen=True)
class LawDrafts:
    """The two drafts of one law: their templates and the names of the downloaded files."""

    regulator_template: str
    letter_template: str
    regulator_file: str
    letter_file: str


J = Incident.Jurisdiction
LAWS: dict[str, LawDrafts] = {
    J.NZ: LawDrafts(
        "breaches/triage/drafts/nz_regulator.html", "breaches/triage/drafts/nz_individual.html",
        "nz-commissioner-notification", "nz-notice-to-person",
    ),
    J.GDPR: LawDrafts(
        "breaches/triage/drafts/gdpr_authority.html", "breaches/triage/drafts/gdpr_individual.html",
        "gdpr-art33-authority-notification", "gdpr-art34-communication",
    ),
    J.AU: LawDrafts(
        "breaches/triage/drafts/au_statement.html", "breaches/triage/drafts/au_individual.html",
        "au-s26wk-statement", "au-s26wl-notice",
    ),
}  # fmt: skip


def law_of(incident: Incident) -> tuple[str, LawDrafts]:
    law = incident.effective_jurisdiction()
    return (law, LAWS[law]) if law in LAWS else (J.NZ, LAWS[J.NZ])


def _context(incident: Incident, officer: User, kind: str) -> dict[str, Any]:
    latest = incident.assessments.order_by("-created_at", "-id").first()
    decision = (
        Decision.objects.filter(incident=incident, superseded_by__isnull=True)
        .order_by("-decided_at", "-id")
        .first()
    )
    facts = latest.facts if latest else {}
    content = NotificationContent.objects.filter(incident=incident).first()
    if content is None:
        content = NotificationContent(incident=incident)  # all empty: nothing written yet
    law, _ = law_of(incident)
    checks = {check.kind: check for check in draft_checks(incident)}
    regulator_title, letter_title = TITLES.get(law, TITLES[J.NZ])
    return {
        "incident": incident,
        "officer": officer,
        "assessment": latest,
        "facts": facts,
        "decision": decision,
        "content": content,
        "authority": supervisory_authority(content.other_agencies),
        "breach_types": [t.get_breach_type_display() for t in incident.breach_types.all()],
        "categories": _categories(incident, facts),
        # Art. 33(3)(a)'s categories of data subjects: the roles of the people recorded.
        "subject_roles": sorted({p.get_role_display() for p in incident.affected.all()}),
        "recipient": _recipient_text(facts.get("recipient")),
        "harm_types": [h.replace("_", " ") for h in facts.get("harm_types", [])],
        "today": timezone.localdate(),
        "agency": organisation.current().agency_name,
        "shared_updates": incident.comments.filter(visibility=Comment.Visibility.SHARED).count(),
        "stages": list(
            incident.notifications.filter(recipient=Notification.Recipient.REGULATOR)
            .exclude(method=Notification.Method.NOT_NOTIFIED)
            .order_by("recorded_at", "id")
        ),
        "delay_reasons": [
            n.reason
            for n in incident.notifications.filter(
                recipient=Notification.Recipient.REGULATOR
            ).exclude(reason="")
        ],
        "late": late_for_regulator(incident),
        "public_notice": IndividualNotice.objects.filter(incident=incident, is_public=True)
        .order_by("id")
        .first(),
        "missing": checks[kind].missing if kind in checks else [],
        "draft_title": regulator_title if kind == "regulator" else letter_title,
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
    """The draft to the regulator of the incident's law."""
    _, drafts = law_of(incident)
    return render_pdf(drafts.regulator_template, _context(incident, officer, "regulator"))


def individual_letter(incident: Incident, officer: User) -> bytes:
    """The draft to an affected person under the incident's law."""
    _, drafts = law_of(incident)
    return render_pdf(drafts.letter_template, _context(incident, officer, "letter"))


def file_name(incident: Incident, kind: str) -> str:
    """The downloaded file's name: the reference, the law and the draft."""
    _, drafts = law_of(incident)
    label = drafts.regulator_file if kind == "regulator" else drafts.letter_file
    return f"{incident.reference}-{label}-draft.pdf"
