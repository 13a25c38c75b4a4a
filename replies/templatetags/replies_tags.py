"""The replies part of pages in lower apps (the case page shows the provider's updates waiting for an answer and
the appeals on the case): the template asks replies, so escalation never imports replies."""

from django import template

from replies import permissions as perms
from replies import selectors

register = template.Library()


@register.inclusion_tag("replies/_case_replies.html")
def replies_on_case(user, case):
    if not perms.can_see_replies(user, case):
        return {"shown": False}
    return {"shown": True, "case": case, **selectors.replies_on_case(case)}


@register.inclusion_tag("replies/_appeal_allowed.html")
def appeal_allowed_on(user, case):
    """The case overview's warning: an appeal was allowed and the suspension still stands. Only a suspended case
    is asked (one query)."""
    if case.route != "suspended" or not perms.can_see_replies(user, case):
        return {"appeal": None}
    return {"appeal": case.appeals.filter(status="allowed").order_by("-decided_at").first()}
