from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from concerns import permissions as concern_perms
from concerns import selectors as concern_selectors
from deadlines import services as deadline_services
from deadlines.forms import CalendarLinkForm
from deadlines.models import CalendarFeedKey
from escalation import selectors as case_selectors


def home(request):
    """Each person lands on their own work."""
    context = concern_selectors.home_for(request.user)
    context["can_log"] = concern_perms.can_log_concern(request.user)
    context["my_deadlines"] = case_selectors.with_case_clearance(request.user, deadline_services.due_for(request.user))
    context["can_have_calendar"] = deadline_services.may_have_calendar(request.user)
    context["calendar_key"] = CalendarFeedKey.objects.filter(user=request.user).first()
    if context["can_have_calendar"]:
        context["calendar_form"] = CalendarLinkForm()  # carries the one-time token for the calendar buttons
    return render(request, "home.html", context)


@require_POST
def notification_read(request, pk):
    note = get_object_or_404(request.user.notifications, pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts={request.get_host()}):
        return redirect(note.link)
    return redirect("home")
