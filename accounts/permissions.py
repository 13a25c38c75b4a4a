"""The roles as rules (core.rules): each takes only the user. Other apps combine them with conditions on the
object they are given, e.g. `is_cqm & case_is_open`."""

from core.rules import permission, who

from . import roles


def role(name: str, description: str):
    return who(description)(lambda user: roles.has_role(user, name))


has_a_role = who("anyone with a role in the team")(lambda user: bool(roles.roles_of(user)))
is_contract_officer = role(roles.CONTRACT_OFFICER, "a contract officer")
is_cqm = role(roles.CQM, "a Contracts and Quality Manager (CQM)")
is_safeguarding_lead = role(roles.SAFEGUARDING_LEAD, "a safeguarding lead")
is_sprg_member = role(roles.SPRG_MEMBER, "an SPRG member")
is_dmt_member = role(roles.DMT_MEMBER, "a DMT member")
is_dass = role(roles.DASS, "the DASS")
is_icb_colleague = role(roles.ICB_COLLEAGUE, "an ICB colleague")
is_administrator = role(roles.ADMINISTRATOR, "an administrator")
is_auditor = role(roles.AUDITOR, "an auditor")

#: The Contracts and Quality Team: officers and CQMs.
is_caseworker = is_contract_officer | is_cqm

is_staff_member = has_a_role
can_manage_register = permission("Change the provider register and import it", is_administrator)
can_manage_risk_matrix = permission("Change the risk matrix", is_administrator)
