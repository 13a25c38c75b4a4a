import datetime

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts import roles
from concerns.models import JqmmMeeting
from core.views import submit

from . import services
from .forms import ExtendForm, WaiveForm
from .models import Deadline


def _change(request, pk, form_class, action, heading, button, success):
    deadline = get_object_or_404(Deadline.objects.select_related("case__provider"), pk=pk)
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


CALENDAR_SALT = "deadlines.calendar"


def calendar_token(user) -> str:
    return signing.dumps(user.pk, salt=CALENDAR_SALT)


@login_not_required
def calendar_feed(request, token):
    """A person's deadlines and upcoming JQMMs as an iCalendar feed, for Outlook or any calendar app.
    The signed token in the address is the credential (calendar apps cannot sign in)."""
    try:
        user_id = signing.loads(token, salt=CALENDAR_SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Provider concerns//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{settings.SERVICE_NAME}: {user}")
    for deadline in services.due_for(user, days=365):
        event = icalendar.Event()
        event.add("uid", f"deadline-{deadline.pk}@provider-concerns")
        event.add("summary", f"{deadline.case.reference}: {deadline.title}")
        event.add("dtstart", deadline.due_date)
        event.add("dtend", deadline.due_date + datetime.timedelta(days=1))
        event.add("dtstamp", timezone.now())
        event.add("description", f"{deadline.case.provider} – {deadline.get_status_display()}\n"
                                 f"{settings.SITE_URL}{deadline.get_absolute_url()}")
        cal.add_component(event)
    if roles.roles_of(user):
        for meeting in JqmmMeeting.objects.filter(meeting_date__gte=timezone.localdate()):
            event = icalendar.Event()
            event.add("uid", f"jqmm-{meeting.pk}@provider-concerns")
            event.add("summary", str(meeting))
            event.add("dtstart", meeting.meeting_date)
            event.add("dtend", meeting.meeting_date + datetime.timedelta(days=1))
            event.add("dtstamp", timezone.now())
            event.add("location", meeting.location)
            cal.add_component(event)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
