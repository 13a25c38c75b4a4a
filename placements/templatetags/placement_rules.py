"""The case page (escalation, a lower app) shows the progress of the placement reviews and a link to the closure
plan through this inclusion tag: the template asks placements, so escalation never imports it."""

from django import template

from .. import permissions as perms
from .. import selectors

register = template.Library()


@register.inclusion_tag("placements/_case_summary.html")
def people_placed_on(user, case):
    """Two queries at most: the review counts and whether a closure plan exists."""
    if not perms.can_read_reviews(user, case):
        return {"shown": False}
    suspended = perms.case_is_suspended(user, case)
    failed = case.ended_under_failure_policy
    progress = selectors.review_progress(case)
    if not progress["total"]:
        progress = None
    has_plan = failed and selectors.closure_plan_of(case) is not None
    return {"shown": bool(progress or suspended or failed), "case": case, "progress": progress,
            "suspended": suspended, "failed": failed, "has_plan": has_plan}
