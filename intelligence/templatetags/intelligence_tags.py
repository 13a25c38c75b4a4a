"""Intelligence on pages of other apps: the provider page (home) shows the provider's CQC ratings through this
inclusion tag, so home asks intelligence and no lower app imports it."""

from django import template

from .. import permissions as perms
from .. import selectors
from ..models import CqcMeeting

register = template.Library()


@register.inclusion_tag("intelligence/includes/provider_ratings.html")
def provider_ratings(user, provider):
    """The current CQC rating and the ones before it, the suggestions waiting, the next routine visit and the latest
    quality audit: one query, whatever the history's length."""
    if not perms.can_see_ratings(user):
        return {"show": False}
    monitoring = perms.can_see_visits(user)
    summary = selectors.provider_intelligence(provider, suggestions=perms.can_see_suggestions(user),
                                              monitoring=monitoring)
    history = summary.pop("ratings")
    return {"show": True, "current": history[0] if history else None, "past": history[1:], "provider": provider,
            "monitoring": monitoring, "can_record_visit": perms.can_record_visit(user),
            "can_record_audit": perms.can_record_quality_audit(user), **summary}


@register.inclusion_tag("intelligence/includes/home.html")
def intelligence_home(user):
    """On the home page: suggested concerns waiting for triage, and a warning when the information-sharing meeting
    with CQC is overdue (one query)."""
    from django.utils import timezone

    from ..models import add_months

    if not perms.can_see_suggestions(user):
        return {"show": False}
    summary = selectors.home_summary(user)
    last = summary["last_meeting"]
    due = add_months(last, CqcMeeting.DUE_EVERY_MONTHS) if last else None
    return {"show": True, "overdue": due if due and due < timezone.localdate() else None,
            "waiting": summary["waiting"]}
