"""Who may do what with letters, as rules (core.rules): `rule(user, letter_or_case)`; called with no object they
answer "may this person do it to any letter at all" (e.g. to show the "Draft a letter" link)."""

from accounts.permissions import has_a_role, is_administrator, is_caseworker, is_cqm
from concerns.permissions import RESTRICTED_CASE_MESSAGE, is_cleared_for_case
from core.rules import permission, when


@when("they are cleared for the letter's case (when it holds safeguarding-restricted concerns)",
      refusal=RESTRICTED_CASE_MESSAGE)
def cleared_for_letter_case(user, letter_or_case) -> bool:
    """A letter may quote the concerns on its case: the case's clearance rule applies to it."""
    if letter_or_case is None:
        return True
    return is_cleared_for_case(user, getattr(letter_or_case, "case", letter_or_case))


can_draft = permission("Draft a letter", is_caseworker & cleared_for_letter_case)
can_issue = permission("Issue or withdraw a letter", is_cqm & cleared_for_letter_case)
can_read = permission("Read and download letters", has_a_role & cleared_for_letter_case)
can_manage_templates = permission("Change the letter templates", is_administrator)
