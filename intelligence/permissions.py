"""Who may do what with intelligence, as rules (core.rules): each is called `rule(user, obj=None)`.

The services refuse with these (core.rules.require) and the pages ask the same rules to decide what to offer."""

from accounts.permissions import has_a_role, is_administrator, is_auditor, is_caseworker, is_cqm
from core.rules import permission, when

#: Everyone with a role in the team reads ratings on a provider's page (they are published by CQC).
can_see_ratings = has_a_role
can_import_ratings = permission("Import CQC ratings", is_administrator | is_cqm)
can_see_suggestions = permission("See the suggested concerns (the triage queue)", is_caseworker | is_auditor)


@when("the suggestion is still waiting for triage",
      refusal="This suggestion has already been accepted or dismissed")
def suggestion_is_open(user, suggestion) -> bool:
    return suggestion is not None and suggestion.is_open


can_triage = permission("Accept or dismiss a suggested concern", is_caseworker & suggestion_is_open)
can_manage_triggers = permission("Set up early-warning trigger rules", is_cqm | is_administrator)
can_see_visits = permission("See the monitoring visit programme", is_caseworker | is_auditor)
can_record_visit = permission("Record a monitoring visit", is_caseworker)
can_record_quality_audit = permission("Record a quality audit", is_caseworker)
can_see_cqc_meetings = permission("See the CQC information-sharing meetings", is_caseworker | is_auditor)
can_record_cqc_meeting = permission("Record a CQC information-sharing meeting", is_caseworker)
