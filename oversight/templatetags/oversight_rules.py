"""The oversight rules for pages of lower apps (the case page offers "Export the whole record"): the template asks
oversight, so escalation never imports it."""

from django import template

from oversight import permissions as perms

register = template.Library()


@register.filter
def may_export_record_of(user, case) -> bool:
    return perms.can_export_case_record(user, case)


@register.filter
def may_build_packs(user) -> bool:
    return bool(perms.pack_kinds_for(user))
