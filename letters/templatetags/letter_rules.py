"""The letter rules for pages of lower apps (the case page offers "Write a letter"): the template asks letters,
so escalation never imports letters."""

from django import template

from letters import permissions as perms

register = template.Library()


@register.filter
def may_draft_letter_on(user, case) -> bool:
    return perms.can_draft(user, case)
