"""Who may use which incident page. Object visibility is ``visible_to``'s job, not this one's."""

from accounts.models import User


def can_use_register(user: User) -> bool:
    """The register lists incidents across units: privacy officers and the CPO only."""
    return user.is_authenticated and user.is_officer
