"""The portal's rules and panels for pages of lower apps (the provider page in home, the concern page, the case
page): the template asks the portal, so concerns and escalation never import it."""

from django import template
from django.db.models import Prefetch, Q

from core import once

from .. import permissions as perms
from ..models import ProviderReply, ProviderShare

register = template.Library()


@register.filter
def may_manage_contacts(user) -> bool:
    return perms.can_manage_contacts(user)


@register.filter
def may_share_with_provider(user, concern) -> bool:
    return perms.can_share_with_provider(user, concern)


def _shares(filter_q, user):
    replies = ProviderReply.objects.select_related("sent_by", "read_by").prefetch_related("files")
    shares = list(ProviderShare.objects.filter(filter_q).select_related("shared_by", "concern", "provider")
                  .prefetch_related("documents", Prefetch("replies", queryset=replies))
                  .order_by("-shared_at", "-id"))
    shares = [s for s in shares if perms.can_see_provider_replies(user, s)]
    for share in shares:  # each "Mark as read" button is its own one-time form (core.once)
        for reply in share.replies.all():
            if reply.read_at is None and perms.can_mark_reply_read(user, reply):
                reply.read_token = once.issue(user)
    return shares


@register.inclusion_tag("portal/staff/_shares.html", takes_context=True)
def provider_replies_for_concern(context, concern):
    """The concern page's "Shared with the provider" section: what was shared, the replies, and the actions."""
    user = context["user"]
    return {"shares": _shares(Q(concern=concern), user), "user": user, "concern": concern,
            "can_share": perms.can_share_with_provider(user, concern), "here": context["request"].path,
            "csrf_token": context.get("csrf_token"), "once_field": once.FIELD}


@register.inclusion_tag("portal/staff/_shares.html", takes_context=True)
def provider_replies_for_case(context, case):
    """The case page's section: everything shared about the case's concerns, and the replies."""
    user = context["user"]
    return {"shares": _shares(Q(case=case) | Q(concern__case=case), user), "user": user, "case": case,
            "here": context["request"].path, "csrf_token": context.get("csrf_token"), "once_field": once.FIELD}
