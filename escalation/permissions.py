"""Who may do what on an escalation case, as rules (core.rules): each is called `rule(user, case)`.

The state machine's transitions use them through `core.rules.transition_permission`, so "How the process
works" shows the same generated description the services use for their refusals."""

from accounts.permissions import (
    has_a_role,
    is_caseworker,
    is_cqm,
    is_dass,
    is_dmt_member,
    is_icb_colleague,
    is_sprg_member,
)
from concerns.permissions import can_open_case, case_is_restricted, is_cleared_for_case  # noqa: F401
from core.rules import permission, when

can_see_cases = has_a_role

#: The one clearance rule, for cases: a case holding a safeguarding-restricted concern is open only to people
#: cleared for every restricted concern it holds; everyone else with a role sees only that the case exists.
can_read_case = is_cleared_for_case


@when("the case is open", refusal="This case has ended, so nothing more is recorded on it")
def case_is_open(user, case) -> bool:
    return case is not None and case.is_open


@when("the case has ended", refusal="This case is still open")
def case_has_ended(user, case) -> bool:
    return case is not None and not case.is_open


@when("the case did not end under the Provider Failure Policy",
      refusal="This case ended under the Provider Failure Policy, so it cannot be reopened. If the provider carries "
              "on and there are new concerns, open a new case from the provider's page.")
def case_may_reopen(user, case) -> bool:
    return case is not None and not case.ended_under_failure_policy


def is_restricted(case) -> bool:
    return case_is_restricted(case)


can_move_case = permission("Move a case on the escalation ladder, and change its deadlines",
                           is_cqm & can_read_case)
can_record_meeting = permission("Record a meeting on a case", is_caseworker & case_is_open & can_read_case)
can_manage_plan = permission("Record a DAP/CAP and its actions", is_caseworker & case_is_open & can_read_case)
can_record_review = permission("Record a performance review", is_caseworker & case_is_open & can_read_case)
can_link_concern = permission("Link a concern to a case", is_cqm & case_is_open & can_read_case)
can_reopen = permission("Reopen a case that has ended",
                        is_cqm & case_has_ended & case_may_reopen & can_read_case)
can_record_sprg_decision = permission("Record the SPRG's decision", is_sprg_member & can_read_case)
can_write_report = permission("Write a suspension or lifting report for DMT", is_cqm & can_read_case)
can_record_dmt_decision = permission("Record DMT's decision on a report", is_dmt_member & can_read_case)
can_sign_off = permission("Sign off a suspension or its lifting", (is_dass | is_icb_colleague) & can_read_case)
can_sign_as_dass = permission("Sign off as the DASS", is_dass & can_read_case)
can_sign_as_icb = permission("Co-sign as an ICB colleague (jointly commissioned services)",
                             is_icb_colleague & can_read_case)
#: Who signs in each capacity of a sign-off (SignOff.Capacity values). No one signs their own report or twice:
#: that is a condition on the report, checked by the sign-off services and the case page alike.
SIGNS_IN_CAPACITY = {"dass": can_sign_as_dass, "icb": can_sign_as_icb}
can_record_route_work = permission("Record a route's improvement plan or a CQT visit",
                                   is_caseworker & case_is_open & can_read_case)
can_keep_route_records = permission("Keep a route's notifications checklist", is_caseworker & can_read_case)
