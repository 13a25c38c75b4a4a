from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import roles
from concerns.services import require_case_clearance
from core import once
from core.views import submit

from . import feed, services
from .forms import CalendarLinkForm, ExtendForm, WaiveForm
from .models import CalendarFeedKey, Deadline


def _change(request, pk, form_class, action, heading, button, success):
    deadline = get_object_or_404(Deadline.objects.select_related("case__provider"), pk=pk)
    if roles.roles_of(request.user):
        require_case_clearance(user=request.user, case=deadline.case)  # the form shows the deadline's title and reasons
    if not services.can_manage(request.user, deadline):
        raise PermissionDenied("Only a CQM or the person responsible changes a deadline")
    form = form_class(request.POST or None)
    done = submit(request, form, lambda data: action(deadline, data), success=success, done_url=deadline.case)
    return done or render(request, "deadlines/deadline_form.html",
                          {"form": form, "deadline": deadline, "heading": heading, "button": button})


def extend(request, pk):
    return _change(request, pk, ExtendForm,
                   lambda d, data: services.extend_deadline(user=request.user, deadline_id=d.pk, **data),
                   "Extend a deadline", "Extend deadline", "Deadline extended")


def waive(request, pk):
    return _change(request, pk, WaiveForm,
                   lambda d, data: services.waive_deadline(user=request.user, deadline_id=d.pk, **data),
                   "Waive a deadline", "Waive deadline", "Deadline waived")


@login_not_required
def calendar_feed(request, token):
    """A person's deadlines and upcoming JQMMs as an iCalendar feed, for Outlook or any calendar app. The random
    secret in the address is the credential (calendar apps cannot sign in); it is looked up by its hash. An
    unknown, reset or revoked secret, or one of a person who is inactive or has no role, is a plain 404."""
    user = services.calendar_user(token)
    if user is None:
        raise Http404("No calendar has this address")
    return HttpResponse(feed.build(user), content_type="text/calendar; charset=utf-8")


def _calendar_link_repeat(request, exc):
    """The same calendar form sent again: nothing changes. The address made by the first submission was shown
    only on its answer, which a double click never displays: say how to get another."""
    response = once.already_sent(request, exc, fallback="home")
    if request.POST.get("action") in ("create", "reset"):
        messages.info(request, "If you did not see your calendar address, reset the calendar link to get a new one.")
    return response


@require_POST
def calendar_link(request):
    """Create or reset the calendar link. The new address is on this response only: it is never stored in clear,
    so it cannot be shown again (the person resets it if they lose it)."""
    if not services.may_have_calendar(request.user):
        raise PermissionDenied("Only a person with a role has a calendar link")
    repeat = once.repeat_of(request)
    if repeat is not None:
        return _calendar_link_repeat(request, repeat)
    form = CalendarLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, [error for errors in form.errors.values() for error in errors][0])
        return redirect("home")
    action = form.cleaned_data["action"]

    def change():
        if action == "delete":
            services.revoke_calendar_link(user=request.user, actor=request.user, reason="turned off by its owner")
            return False, None
        had_one = CalendarFeedKey.objects.filter(user=request.user).exists()
        return had_one, services.reset_calendar_link(user=request.user)

    try:
        had_one, secret = once.once(request, form, change, done_url="home")
    except once.AlreadySent as exc:
        return _calendar_link_repeat(request, exc)
    if action == "delete":
        messages.success(request, "Your calendar link has been turned off. The old address no longer works.")
        return redirect("home")
    return render(request, "deadlines/calendar_link.html", {
        "calendar_url": request.build_absolute_uri(reverse("deadlines:calendar", args=[secret])),
        "was_reset": had_one})
