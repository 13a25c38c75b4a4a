"""Who may do what with people placed, their reviews, closure plans and the register, as rules (core.rules).

Rules about a case (reviews, closure plans, register entries) take the case and include the clearance rule:
what is recorded on a safeguarding-restricted case is for people cleared for it (ADR 0019). The list of people
placed with a provider holds references only and belongs to no case."""

from accounts import roles
from accounts.permissions import has_a_role, is_auditor, is_caseworker, is_cqm, is_safeguarding_lead, role
from concerns.permissions import is_cleared_for_case
from core.rules import permission, when
from escalation.models import Route

is_care_manager = role(roles.CARE_MANAGER, "a care manager")

#: Route states in which placements are suspended (the suspension is in force until the lifting is signed off).
SUSPENDED_ROUTES = (Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED)


@when("placements with the provider are suspended",
      refusal="Reviews of the people placed start when a suspension of placements is in force")
def case_is_suspended(user, case) -> bool:
    return case is not None and case.route in SUSPENDED_ROUTES


@when("the case ended under the Provider Failure Policy",
      refusal="A closure plan is opened once the case has ended under the Provider Failure Policy")
def provider_failure_recorded(user, case) -> bool:
    return case is not None and case.ended_under_failure_policy


can_see_placements = permission("See the people placed with a provider (references only)",
                                is_care_manager | is_caseworker | is_safeguarding_lead | is_auditor)
can_manage_placements = permission("Enter or import the people placed with a provider", is_care_manager | is_cqm)
can_read_reviews = permission("See a case's placement reviews and closure plan",
                              (is_care_manager | is_caseworker | is_safeguarding_lead | is_auditor)
                              & is_cleared_for_case)
can_start_reviews = permission("Start the reviews of the people placed when placements are suspended",
                               (is_care_manager | is_cqm) & case_is_suspended & is_cleared_for_case)
can_assign_review = permission("Assign a placement review", (is_care_manager | is_cqm) & is_cleared_for_case)
can_record_review = permission("Record the outcome of a placement review",
                               (is_care_manager | is_cqm) & is_cleared_for_case)
can_open_closure_plan = permission("Open a closure plan for a failed provider",
                                   is_cqm & provider_failure_recorded & is_cleared_for_case)
can_update_closure_plan = permission("Record residents' moves and authorities notified on a closure plan",
                                     (is_care_manager | is_cqm) & is_cleared_for_case)
can_close_closure_plan = permission("Close a closure plan", is_cqm & is_cleared_for_case)
can_see_register = permission("See the register of suspensions and at-risk decisions (dates, routes, public "
                              "summaries)", has_a_role)
can_keep_register = permission("Write the register entry of a suspension or at-risk episode",
                               is_cqm & is_cleared_for_case)
#: The internal detail of one episode: the same clearance as the case it belongs to.
can_read_internal_detail = can_see_register & is_cleared_for_case
