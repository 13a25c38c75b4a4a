"""The roles of docs/process.md "Who does what", each a Django group with exactly this name.

Short names are used so they read well on screen; docs/adr/0002-roles-as-groups.md maps them.
"""

CONTRACT_OFFICER = "Contract officer"
CQM = "Contracts and Quality Manager"
SAFEGUARDING_LEAD = "Safeguarding lead"
SPRG_MEMBER = "SPRG member"
DMT_MEMBER = "DMT member"
DASS = "DASS"
ICB_COLLEAGUE = "ICB colleague"
AUDITOR = "Auditor"
ADMINISTRATOR = "Administrator"
CARE_MANAGER = "Care manager"

ALL_ROLES = [
    CONTRACT_OFFICER,
    CQM,
    SAFEGUARDING_LEAD,
    SPRG_MEMBER,
    DMT_MEMBER,
    DASS,
    ICB_COLLEAGUE,
    AUDITOR,
    ADMINISTRATOR,
    CARE_MANAGER,
]

ROLE_DESCRIPTIONS = {
    CONTRACT_OFFICER: "Logs concerns, records risk assessments, meetings, visits and plan progress.",
    CQM: "Everything a contract officer does; owns cases, chairs the JQMM, issues letters.",
    SAFEGUARDING_LEAD: "Sees and advises on safeguarding-restricted concerns.",
    SPRG_MEMBER: "Records the Strategic Provider Risk Group's decisions.",
    DMT_MEMBER: "Endorses or declines suspension and lifting reports.",
    DASS: "Director of Adult Social Services: signs off suspension and lifting.",
    ICB_COLLEAGUE: "Co-signs decisions on jointly commissioned services.",
    AUDITOR: "Reads everything they are cleared for; changes nothing.",
    ADMINISTRATOR: "Manages users, roles, the provider register and the risk matrix.",
    CARE_MANAGER: "Care Management: keeps the list of people placed, reviews them and tracks moves.",
}


def roles_of(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user).intersection(roles))
