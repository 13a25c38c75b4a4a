"""One person's deadlines and upcoming JQMMs as an iCalendar (RFC 5545) feed.

Every value goes in through the icalendar library, which escapes commas, semicolons, backslashes and line
breaks in text and folds long lines, so no user text can end a property or start a new component. Deadlines
on a case holding safeguarding-restricted concerns the person is not cleared for carry only the case
reference and a link: no provider, title, status or any other text of the case.
"""

import datetime

import icalendar
from django.conf import settings
from django.utils import timezone

from accounts import roles
from concerns.models import JqmmMeeting
from concerns.permissions import is_cleared_for_case

from . import services

RESTRICTED_SUMMARY = "Restricted case {reference}: deadline"


def _event(uid: str, summary: str, day: datetime.date, stamp: datetime.datetime, url: str) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("dtstamp", stamp)
    event.add("url", url, parameters={"VALUE": "URI"})
    return event


def deadline_event(user, deadline, stamp, cleared: bool) -> icalendar.Event:
    case = deadline.case
    url = f"{settings.SITE_URL}{deadline.get_absolute_url()}"
    if not cleared:
        return _event(f"deadline-{deadline.pk}@provider-concerns", RESTRICTED_SUMMARY.format(reference=case.reference),
                      deadline.due_date, stamp, url)
    event = _event(f"deadline-{deadline.pk}@provider-concerns", f"{case.reference}: {deadline.title}",
                   deadline.due_date, stamp, url)
    event.add("description", f"{case.provider} – {deadline.get_status_display()}\n{url}")
    return event


def jqmm_event(meeting, stamp) -> icalendar.Event:
    """A JQMM's date and place only: its agenda (which may hold restricted concerns) is never in the feed."""
    event = _event(f"jqmm-{meeting.pk}@provider-concerns", str(meeting), meeting.meeting_date, stamp,
                   f"{settings.SITE_URL}{meeting.get_absolute_url()}")
    if meeting.location:
        event.add("location", meeting.location)
    return event


def build(user) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Provider concerns//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{settings.SERVICE_NAME}: my deadlines")
    stamp = timezone.now()
    cleared_for = {}
    for deadline in services.due_for(user, days=365):
        if deadline.case_id not in cleared_for:
            cleared_for[deadline.case_id] = is_cleared_for_case(user, deadline.case)
        cal.add_component(deadline_event(user, deadline, stamp, cleared_for[deadline.case_id]))
    if roles.roles_of(user):
        for meeting in JqmmMeeting.objects.filter(meeting_date__gte=timezone.localdate()):
            cal.add_component(jqmm_event(meeting, stamp))
    return cal.to_ical()
