"""The facts of SPEC §4.1: parsed strictly, every problem named with the allowed values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

JURISDICTIONS = ("NZ", "GDPR", "AU")
KINDS = ("breach", "near_miss")
BREACH_TYPES = (
    "unauthorised_access",
    "unauthorised_disclosure",
    "alteration",
    "loss",
    "destruction",
    "unavailability",
)
INFO_CATEGORIES = (
    "contact",
    "identity_document",
    "financial",
    "credentials",
    "health",
    "care_protection",
    "family_violence",
    "criminal",
    "sexual",
    "location",
    "ethnicity_religion",
    "biometric",
    "employment",
    "children",
    "other",
)
# Ordered from "nobody got it" to "someone who may harm an affected person got it".
# ``known_individual`` (rule sets @2 on): an identified person with no duty of confidence and no
# sign of hostility, e.g. another customer who received the wrong letter.
RECIPIENTS = (
    "none",
    "trusted_internal",
    "trusted_external",
    "known_individual",
    "unknown",
    "public",
    "malicious",
    "person_posing_risk",
)
SECURITY_MEASURES = ("none", "password_protected", "pseudonymised", "encrypted")
CONTAINED = ("fully", "partially", "not")
HARM_TYPES = (
    "physical",
    "emotional",
    "financial",
    "identity_theft",
    "reputational",
    "discrimination",
    "loss_of_opportunity",
    "loss_of_control",
)

FIELDS = (
    "jurisdiction",
    "kind",
    "breach_types",
    "info_categories",
    "individuals_affected",
    "vulnerable_individuals",
    "recipient",
    "security_measures",
    "key_compromised",
    "contained",
    "harm_occurred",
    "harm_types",
    "backup_available",
    "aware_at",
)
REQUIRED = (
    "kind",
    "breach_types",
    "info_categories",
    "individuals_affected",
    "recipient",
    "security_measures",
    "contained",
    "aware_at",
)


# Far enough from the limits of date arithmetic that adding a deadline can never overflow.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class FactsError(ValueError):
    """Invalid facts; ``errors`` maps each bad field to a message naming the allowed values."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Facts:
    jurisdiction: str
    kind: str
    breach_types: tuple[str, ...]
    info_categories: tuple[str, ...]
    individuals_affected: int
    vulnerable_individuals: bool
    recipient: str
    security_measures: str
    key_compromised: bool
    contained: str
    harm_occurred: bool
    harm_types: tuple[str, ...] = field(default=())
    backup_available: bool | None = None
    aware_at: datetime = field(default=datetime(2000, 1, 1))

    def to_dict(self) -> dict[str, Any]:
        """The §4.1 JSON shape (lists, ISO 8601 date)."""
        data = asdict(self)
        for name in ("breach_types", "info_categories", "harm_types"):
            data[name] = list(data[name])
        data["aware_at"] = self.aware_at.isoformat()
        return data


def _allowed(values: tuple[str, ...]) -> str:
    return "allowed values: " + ", ".join(values)


def parse_facts(data: Any, *, default_jurisdiction: str = "NZ") -> Facts:
    """Validate ``data`` (the §4.1 JSON, already decoded) into :class:`Facts`."""
    if not isinstance(data, dict):
        raise FactsError({"facts": "expected a JSON object with the fields " + ", ".join(FIELDS)})
    errors: dict[str, str] = {}
    for name in sorted(set(data) - set(FIELDS)):
        errors[name] = "unknown field; allowed fields: " + ", ".join(FIELDS)
    for name in REQUIRED:
        if name not in data:
            errors[name] = "this field is required"

    def choice(name: str, values: tuple[str, ...], default: str | None = None) -> str:
        value = data.get(name, default)
        if name not in data and default is None:
            return ""
        if not isinstance(value, str) or value not in values:
            errors[name] = f"{value!r} is not allowed; {_allowed(values)}"
            return ""
        return value

    def choices(name: str, values: tuple[str, ...], *, required: bool) -> tuple[str, ...]:
        value = data.get(name, [] if not required else None)
        if name not in data and required:
            return ()
        if not isinstance(value, list):
            errors[name] = f"expected a list; {_allowed(values)}"
            return ()
        bad = [v for v in value if not isinstance(v, str) or v not in values]
        if bad:
            errors[name] = f"{', '.join(repr(b) for b in bad)} not allowed; {_allowed(values)}"
            return ()
        return tuple(dict.fromkeys(value))

    def boolean(name: str, *, nullable: bool = False) -> bool | None:
        value = data.get(name, None if nullable else False)
        if value is None and nullable:
            return None
        if not isinstance(value, bool):
            allowed = "true, false or null" if nullable else "true or false"
            errors[name] = f"{value!r} is not allowed; allowed values: {allowed}"
            return None
        return value

    jurisdiction = choice("jurisdiction", JURISDICTIONS, default_jurisdiction)
    kind = choice("kind", KINDS)
    breach_types = choices("breach_types", BREACH_TYPES, required=True)
    info_categories = choices("info_categories", INFO_CATEGORIES, required=True)
    count = data.get("individuals_affected")
    if "individuals_affected" in data and (
        isinstance(count, bool) or not isinstance(count, int) or count < 0
    ):
        errors["individuals_affected"] = f"{count!r} is not allowed; an integer 0 or more"
    vulnerable = boolean("vulnerable_individuals")
    recipient = choice("recipient", RECIPIENTS)
    security = choice("security_measures", SECURITY_MEASURES)
    key_compromised = boolean("key_compromised")
    contained = choice("contained", CONTAINED)
    harm_occurred = boolean("harm_occurred")
    harm_types = choices("harm_types", HARM_TYPES, required=False)
    backup = boolean("backup_available", nullable=True)
    aware_raw = data.get("aware_at")
    aware_at = None
    if "aware_at" in data:
        try:
            aware_at = datetime.fromisoformat(aware_raw) if isinstance(aware_raw, str) else None
        except ValueError:
            aware_at = None
        if (
            aware_at is not None
            and aware_at.tzinfo is not None
            and not (EARLIEST <= aware_at <= LATEST)
        ):
            errors["aware_at"] = f"{aware_raw!r} is not allowed; a date between 1990 and 2100"
        elif aware_at is None or aware_at.tzinfo is None:
            errors["aware_at"] = (
                f"{aware_raw!r} is not allowed; an ISO 8601 date and time with an offset, "
                "e.g. 2026-03-02T09:30:00+13:00"
            )
    if errors:
        raise FactsError(errors)
    # Without errors both are present and valid; the asserts tell the type checker so.
    assert aware_at is not None
    assert isinstance(count, int)
    return Facts(
        jurisdiction=jurisdiction,
        kind=kind,
        breach_types=breach_types,
        info_categories=info_categories,
        individuals_affected=count,
        vulnerable_individuals=bool(vulnerable),
        recipient=recipient,
        security_measures=security,
        key_compromised=bool(key_compromised),
        contained=contained,
        harm_occurred=bool(harm_occurred),
        harm_types=harm_types,
        backup_available=backup,
        aware_at=aware_at,
    )
