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
