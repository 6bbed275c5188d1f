"""What happened, told once: each demo incident's summary, description and triage facts agree.

A scenario is one kind of event as a privacy officer would meet it, with the actions that would
follow it. Its summary and description name what was involved, and its breach types,
information categories, recipient and channel are the ones the text describes, so the facts an
officer assesses never contradict the report (health information only where the text mentions
health; an e-mail sent in error is a disclosure by e-mail). The generator picks a scenario and
varies only what the text leaves open (how many people, who received it among the plausible
recipients, whether harm followed).
"""

from __future__ import annotations

from dataclasses import dataclass

from breaches.models import Action, AffectedIndividual, Incident, IncidentBreachType
from breaches.models import IncidentInformationCategory as Info

C = Incident.Channel
T = IncidentBreachType.Type
R = AffectedIndividual.Role
FIX, PREVENT = Action.Kind.REMEDIATION, Action.Kind.PREVENTION


@dataclass(frozen=True)
class Scenario:
    summary: str
    detail: str  # the description's middle: what the information was, in the text's words
    channel: str
    breach_types: tuple[str, ...]
    categories: tuple[str, ...]
    recipients: tuple[str, ...]  # the §4.1 recipients the text allows
    roles: tuple[str, ...]  # of the affected people recorded
    people: tuple[int, ...]  # how many people affected (one is drawn)
    containment: str
    cause_detail: str = ""
    security: str = "none"
    harm_types: tuple[str, ...] = ()  # what harm could follow (drawn rarely)
    actions: tuple[tuple[str, str], ...] = ()  # (action kind, title) an officer would set

    @property
    def vulnerable(self) -> bool:
        """Children or people at risk among those affected, as the text says."""
        return R.CHILD in self.roles or Info.Category.CHILDREN in self.categories

    def description(self, noticed: str) -> str:
        return f"{self.summary}. {self.detail} {noticed} No case-file content is recorded here."


BREACHES: dict[str, list[Scenario]] = {
    Incident.Cause.WRONG_RECIPIENT: [
        Scenario(
            "Case summary emailed to the wrong caregiver",
            "The summary was about a child in care and gave the caregivers' phone numbers.",
            C.EMAIL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CONTACT, Info.Category.CHILDREN),
            ("trusted_external", "unknown"),
            (R.CHILD, R.CAREGIVER),
            (1, 2, 3),
            "The caregiver who received it deleted the email and confirmed it in writing.",
            "Two caregivers with similar names were next to each other in the address book.",
            harm_types=("emotional",),
            actions=(
                (FIX, "Confirm in writing that the caregiver deleted the email"),
                (PREVENT, "Turn off address autocomplete for the team"),
                (PREVENT, "Add a second check before case documents are emailed"),
            ),
        ),
        Scenario(
            "Assessment report sent by email to a similarly named whānau member",
            "The report described family violence concerns and gave the family's address.",
            C.EMAIL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (
                Info.Category.CARE_PROTECTION,
                Info.Category.FAMILY_VIOLENCE,
                Info.Category.LOCATION,
            ),
            ("unknown", "person_posing_risk"),
            (R.CLIENT, R.CHILD),
            (1, 2, 3),
            "The recipient was asked to delete the email; deletion could not be confirmed.",
            "The name was picked from a list without checking the date of birth.",
            harm_types=("emotional", "physical"),
            actions=(
                (FIX, "Agree a safety plan with the family"),
                (PREVENT, "Check date of birth as well as name before sending reports"),
                (PREVENT, "Add a second check before case documents are emailed"),
            ),
        ),
        Scenario(
            "Meeting minutes emailed to an external provider by mistake",
            "The minutes of a case meeting named the family and their support needs.",
            C.EMAIL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CONTACT),
            ("trusted_external",),
            (R.CLIENT,),
            (1, 2, 5),
            "The provider deleted the minutes and confirmed no copies were kept.",
            "The distribution list had not been updated after the provider's contract ended.",
            actions=(
                (FIX, "Confirm the provider deleted the minutes"),
                (PREVENT, "Review the team's distribution lists every quarter"),
            ),
        ),
    ],
    Incident.Cause.MISADDRESSED: [
        Scenario(
            "Letter about a family group conference posted to an old address",
            "The letter named a child and the date of the conference; the new occupants opened it.",
            C.POST,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CHILDREN),
            ("unknown",),
            (R.CHILD, R.CAREGIVER),
            (1, 2, 3),
            "The letter was collected back from the new occupants.",
            "The change of address was recorded in one system but not in the other.",
            actions=(
                (FIX, "Update the family's address in both systems"),
                (PREVENT, "Send address changes to both systems from one form"),
            ),
        ),
        Scenario(
            "Court report posted to the wrong lawyer",
            "The report included the parents' criminal history and the care plan for their "
            "children.",
            C.POST,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CRIMINAL, Info.Category.CHILDREN),
            ("trusted_external",),
            (R.CLIENT, R.CHILD),
            (2, 3),
            "The lawyer returned the report unread and sealed.",
            "Two lawyers from the same firm were listed on the case.",
            actions=(
                (FIX, "Tell the court registry what happened"),
                (PREVENT, "Check the lawyer on the court record before posting reports"),
            ),
        ),
        Scenario(
            "Email autocomplete chose the wrong agency contact",
            "The email to a partner agency gave a client's name and contact details.",
            C.EMAIL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("trusted_external",),
            (R.CLIENT,),
            (1,),
            "The other agency's contact deleted the email the same day.",
            "The autocomplete suggested a similar address.",
            actions=(
                (FIX, "Confirm the other agency deleted the email"),
                (PREVENT, "Turn off address autocomplete for the team"),
            ),
        ),
    ],
    Incident.Cause.PAPERS_UNSECURED: [
        Scenario(
            "Case file left on a printer in the open-plan office",
            "The printout included a child's health assessment.",
            C.PAPER,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION, Info.Category.HEALTH, Info.Category.CHILDREN),
            ("trusted_internal", "none"),
            (R.CHILD,),
            (1,),
            "The printout was returned to the case worker and filed.",
            "The printer queue released the job before the worker arrived.",
            actions=(
                (FIX, "Run a clear-desk check in the office"),
                (PREVENT, "Move the team's printers to follow-me printing"),
            ),
        ),
        Scenario(
            "Paper notes left in a shared meeting room overnight",
            "The notes gave clients' names and phone numbers; the room is also booked by "
            "community groups.",
            C.PAPER,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CONTACT,),
            ("trusted_internal", "unknown"),
            (R.CLIENT,),
            (2, 3, 5),
            "The notes were found in the morning and locked away.",
            actions=(
                (FIX, "Run a clear-desk check in the office"),
                (PREVENT, "Add a clear-the-room check to the meeting room booking"),
            ),
        ),
        Scenario(
            "Unlocked filing cabinet found in a public corridor",
            "The cabinet held closed case files with copies of identity documents.",
            C.PAPER,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION, Info.Category.IDENTITY_DOCUMENT),
            ("none", "unknown"),
            (R.CLIENT,),
            (12, 40),
            "The cabinet was locked and moved back into the secure store.",
            "The cabinet was moved during an office refit.",
            actions=(
                (FIX, "Check the cabinet's files against the register"),
                (PREVENT, "Fit locks to the filing cabinets and keep the keys in the safe"),
            ),
        ),
    ],
    Incident.Cause.DELIBERATE_MISUSE: [
        Scenario(
            "Staff member screenshotted a client record and shared it",
            "The screenshot showed a mother's address and notes about family violence; it was "
            "sent to a family member.",
            C.SCREENSHOT_PHOTO,
            (T.UNAUTHORISED_ACCESS, T.UNAUTHORISED_DISCLOSURE),
            (
                Info.Category.CARE_PROTECTION,
                Info.Category.FAMILY_VIOLENCE,
                Info.Category.LOCATION,
            ),
            ("person_posing_risk", "unknown"),
            (R.CLIENT, R.CHILD),
            (1, 2),
            "The staff member's access was suspended; the recipient was asked to delete the image.",
            harm_types=("emotional", "physical"),
            actions=(
                (FIX, "Complete the employment process"),
                (FIX, "Agree a safety plan with the client"),
                (PREVENT, "Remind staff of the code of conduct on client records"),
            ),
        ),
        Scenario(
            "Client file browsed without a work reason",
            "The audit log showed a care and protection file opened by someone not on the case.",
            C.SYSTEM_ACCESS,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION, Info.Category.CONTACT),
            ("trusted_internal",),
            (R.CLIENT,),
            (1,),
            "The staff member's access to the file was removed.",
            actions=(
                (FIX, "Review the staff member's access log"),
                (PREVENT, "Remind staff of the code of conduct on client records"),
            ),
        ),
        Scenario(
            "Record looked up for a personal matter",
            "A staff member looked up a neighbour's address and contact details.",
            C.SYSTEM_ACCESS,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CONTACT, Info.Category.LOCATION),
            ("trusted_internal",),
            (R.OTHER,),
            (1,),
            "The staff member's access was suspended pending an employment process.",
            actions=(
                (FIX, "Complete the employment process"),
                (PREVENT, "Add the case to the quarterly access-log review"),
            ),
        ),
    ],
    Incident.Cause.SYSTEM_FAULT: [
        Scenario(
            "Portal showed another family's documents after an update",
            "Families signing in saw another family's care plan documents for about an hour.",
            C.SYSTEM_ACCESS,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CONTACT, Info.Category.CHILDREN),
            ("unknown",),
            (R.CAREGIVER, R.CHILD),
            (2, 5, 12),
            "The portal was taken offline and the update rolled back.",
            "A caching setting changed in the update.",
            actions=(
                (FIX, "Fix the caching setting and test the fix"),
                (PREVENT, "Add a privacy check to the release checklist"),
            ),
        ),
        Scenario(
            "Batch letters merged with the wrong addresses",
            "Payment letters showing benefit amounts went to the wrong households.",
            C.POST,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.FINANCIAL, Info.Category.CONTACT),
            ("unknown",),
            (R.CLIENT,),
            (12, 40, 250),
            "Recipients were phoned and asked to return the letters.",
            "The address file was sorted differently from the letter file.",
            actions=(
                (FIX, "Collect the letters back from the households"),
                (PREVENT, "Check a sample of merged letters before a batch is posted"),
            ),
        ),
        Scenario(
            "Access rights not removed after a staff transfer",
            "A transferred worker could still open care and protection files of the old site.",
            C.SYSTEM_ACCESS,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION,),
            ("trusted_internal",),
            (R.CLIENT,),
            (40, 250),
            "The access rights were removed and the audit log reviewed.",
            "The transfer form did not trigger a change of access.",
            actions=(
                (FIX, "Review the access log for the months after the transfer"),
                (PREVENT, "Change access rights from the transfer form"),
            ),
        ),
    ],
    Incident.Cause.MALICIOUS_THIRD_PARTY: [
        Scenario(
            "Phishing email captured a staff login",
            "The attacker used the login to read the staff member's mailbox, which held "
            "clients' contact details and case notes.",
            C.EMAIL,
            (T.UNAUTHORISED_ACCESS,),
            (
                Info.Category.CREDENTIALS,
                Info.Category.CONTACT,
                Info.Category.CARE_PROTECTION,
            ),
            ("malicious",),
            (R.CLIENT, R.STAFF),
            (12, 40, 250),
            "The password was reset and every session of the account signed out.",
            harm_types=("identity_theft", "financial"),
            actions=(
                (FIX, "Check the account's sign-ins and mailbox rules"),
                (PREVENT, "Run phishing awareness training for the team"),
            ),
        ),
        Scenario(
            "Laptop stolen from a parked car",
            "The encrypted laptop held health reports for clients on the worker's caseload.",
            C.LOST_DEVICE,
            (T.LOSS,),
            (Info.Category.HEALTH, Info.Category.CARE_PROTECTION),
            ("malicious",),
            (R.CLIENT,),
            (5, 12),
            "The laptop was wiped remotely and its account disabled.",
            security="encrypted",
            actions=(
                (FIX, "Confirm the laptop was wiped and its account closed"),
                (PREVENT, "Remind staff never to leave devices in cars"),
            ),
        ),
        Scenario(
            "Caller impersonated a parent to obtain a placement address",
            "The caller was given the address where a child is placed.",
            C.VERBAL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.LOCATION, Info.Category.CHILDREN, Info.Category.CARE_PROTECTION),
            ("person_posing_risk",),
            (R.CHILD, R.CAREGIVER),
            (1, 2),
            "A safety plan was put in place with the caregivers.",
            "The caller's identity was not checked against the file.",
            harm_types=("emotional", "physical"),
            actions=(
                (FIX, "Agree a safety plan with the caregivers"),
                (PREVENT, "Check callers' identity against the file before giving details"),
            ),
        ),
    ],
    Incident.Cause.OTHER: [
        Scenario(
            "Conversation about a case overheard in a café",
            "Two workers discussed a family's care arrangements by name.",
            C.VERBAL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION,),
            ("unknown",),
            (R.CLIENT,),
            (1,),
            "The workers were reminded not to discuss cases in public places.",
            actions=((PREVENT, "Remind staff not to discuss cases in public places"),),
        ),
        Scenario(
            "Whiteboard with client names visible through a window",
            "The whiteboard listed clients' names and appointment times.",
            C.OTHER,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("public",),
            (R.CLIENT,),
            (5, 12),
            "The whiteboard was wiped and a blind fitted.",
            actions=(
                (FIX, "Fit a blind to the meeting room window"),
                (PREVENT, "Use initials, not names, on whiteboards"),
            ),
        ),
    ],
}

NEAR_MISSES: list[tuple[str, Scenario]] = [
    (
        Incident.Cause.WRONG_RECIPIENT,
        Scenario(
            "Wrong recipient noticed before the email was sent",
            "The draft held a case summary about a child.",
            C.EMAIL,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CARE_PROTECTION, Info.Category.CHILDREN),
            ("none",),
            (R.CHILD,),
            (1,),
            "",
            actions=((PREVENT, "Share the near miss with the team as a lesson"),),
        ),
    ),
    (
        Incident.Cause.MISADDRESSED,
        Scenario(
            "Letter caught in the outgoing mail tray with the wrong address",
            "The letter gave a client's contact details.",
            C.POST,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("none",),
            (R.CLIENT,),
            (1,),
            "",
            actions=((PREVENT, "Keep the outgoing-mail check in the written process"),),
        ),
    ),
    (
        Incident.Cause.PAPERS_UNSECURED,
        Scenario(
            "Unattended file found and secured before anyone read it",
            "The file was a care and protection file.",
            C.PAPER,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION,),
            ("none",),
            (R.CLIENT,),
            (1,),
            "",
            actions=((PREVENT, "Run a clear-desk check in the office"),),
        ),
    ),
    (
        Incident.Cause.DELIBERATE_MISUSE,
        Scenario(
            "Attempt to open a restricted record blocked by the system",
            "The record was a care and protection file the staff member had no work reason "
            "to open.",
            C.SYSTEM_ACCESS,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CARE_PROTECTION,),
            ("none",),
            (R.CLIENT,),
            (1,),
            "",
            actions=((PREVENT, "Remind staff of the code of conduct on client records"),),
        ),
    ),
    (
        Incident.Cause.MISADDRESSED,
        Scenario(
            "Misaddressed fax stopped by the sender before transmission",
            "The fax was a referral with a client's contact details.",
            C.OTHER,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("none",),
            (R.CLIENT,),
            (1,),
            "",
            actions=((PREVENT, "Replace the team's fax with secure email"),),
        ),
    ),
    (
        Incident.Cause.MALICIOUS_THIRD_PARTY,
        Scenario(
            "Phishing email reported before anyone entered a password",
            "The email imitated the agency's sign-in page.",
            C.EMAIL,
            (T.UNAUTHORISED_ACCESS,),
            (Info.Category.CREDENTIALS,),
            ("none",),
            (R.STAFF,),
            (1,),
            "",
            actions=((PREVENT, "Thank the reporter and share the example with all staff"),),
        ),
    ),
    (
        Incident.Cause.SYSTEM_FAULT,
        Scenario(
            "Letter template merging the wrong addresses caught in testing",
            "The test letters showed clients' names and addresses.",
            C.POST,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("none",),
            (R.CLIENT,),
            (12,),
            "",
            actions=((PREVENT, "Keep the letter test in the release checklist"),),
        ),
    ),
    (
        Incident.Cause.OTHER,
        Scenario(
            "Client list left on screen noticed before a visitor came in",
            "The screen showed clients' names and appointment times.",
            C.OTHER,
            (T.UNAUTHORISED_DISCLOSURE,),
            (Info.Category.CONTACT,),
            ("none",),
            (R.CLIENT,),
            (5,),
            "",
            actions=((PREVENT, "Set screens to lock after five minutes"),),
        ),
    ),
]

# How a report was noticed (the description's last sentence), drawn freely.
NOTICED = [
    "Noticed by the team and reported the same day.",
    "Reported by the person who noticed it.",
    "Raised by a colleague and reported by the team leader.",
]
