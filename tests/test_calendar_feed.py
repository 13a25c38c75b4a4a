"""The calendar feed: a random secret per person, stored hashed, shown once, resettable and revoked by itself
when the person's password, roles or account change; restricted cases show only their reference."""

import datetime
import hashlib
import re

import icalendar
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import User
from audit.models import Event
from deadlines import services
from deadlines.models import CalendarFeedKey
from tests.factories import PASSWORD, CaseFactory, ConcernFactory, JqmmFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
URL_RE = re.compile(r'value="(https?://[^"]+/deadlines/calendar/([A-Za-z0-9_\-]+)\.ics)"')


def soon(days=3):
    return timezone.localdate() + datetime.timedelta(days=days)


def create_link(client, user, action="create"):
    client.force_login(user)
    response = client.post("/deadlines/calendar-link/", {"action": action})
    assert response.status_code == 200, response.status_code
    url, secret = URL_RE.search(response.content.decode()).groups()
    return response, url, secret


def feed(client, secret):
    return client.get(f"/deadlines/calendar/{secret}.ics")


def events(body: bytes):
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


@pytest.fixture
def cqm(db):
    return UserFactory(roles=[roles.CQM])


def test_home_offers_to_create_a_link_and_the_address_is_shown_once(client, cqm):
    case = CaseFactory(level="ppm", owner=cqm)
    services.schedule(key="t:feed", kind="plan_review", case=case, due_date=soon(), title="Review of the CAP")
    client.force_login(cqm)
    home = client.get("/").content.decode()
    assert "Create a calendar link" in home and "/deadlines/calendar/" not in home

    response, url, secret = create_link(client, cqm)
    page = response.content.decode()
    assert "Your calendar link has been created" in page and "We will not show it again" in page
    assert len(secret) >= 40
    key = CalendarFeedKey.objects.get(user=cqm)
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in key.key_hash
    assert Event.objects.filter(kind="calendar_link_created", object_id=str(cqm.pk)).count() == 1

    home = client.get("/").content.decode()
    assert secret not in home and "Reset the calendar link" in home and "Create a calendar link" not in home

    client.logout()
    ics = feed(client, secret)
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert "no-store" in ics["Cache-Control"]
    (event,) = events(ics.content)
    assert str(event["SUMMARY"]) == f"{case.reference}: Review of the CAP"
    assert case.provider.name in str(event["DESCRIPTION"])


def test_only_my_deadlines_and_unknown_secrets_are_404(client, cqm):
    other = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", owner=cqm)
    services.schedule(key="t:mine", kind="plan_review", case=case, due_date=soon(), title="Review of the CAP")
    _, _, secret = create_link(client, other)
    assert b"Review of the CAP" not in feed(client, secret).content
    assert feed(client, "forged-token").status_code == 404
    assert feed(client, secret[:-1] + ("A" if secret[-1] != "A" else "B")).status_code == 404
    # the stored hash itself is not a working address
    assert feed(client, CalendarFeedKey.objects.get(user=other).key_hash).status_code == 404


def test_reset_makes_the_old_address_404_and_turning_off_ends_it(client, cqm):
    _, _, old = create_link(client, cqm)
    response, _, new = create_link(client, cqm, action="reset")
    assert "Your calendar link has been reset" in response.content.decode() and new != old
    assert feed(client, old).status_code == 404 and feed(client, new).status_code == 200
    assert CalendarFeedKey.objects.filter(user=cqm).count() == 1
    assert Event.objects.filter(kind="calendar_link_reset", object_id=str(cqm.pk)).exists()

    client.force_login(cqm)
    response = client.post("/deadlines/calendar-link/", {"action": "delete"}, follow=True)
    assert "Your calendar link has been turned off" in response.content.decode()
    assert feed(client, new).status_code == 404 and not CalendarFeedKey.objects.filter(user=cqm).exists()


def test_creating_a_link_needs_a_post_with_csrf_and_a_known_action(client, cqm):
    from django.test import Client

    client.force_login(cqm)
    assert client.get("/deadlines/calendar-link/").status_code == 405
    response = client.post("/deadlines/calendar-link/", {"action": "steal"}, follow=True)
    assert "Choose whether to create, reset or turn off your calendar link" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cqm)
    assert strict.post("/deadlines/calendar-link/", {"action": "create"}).status_code == 403
    assert not CalendarFeedKey.objects.exists()


def test_a_person_without_a_role_has_no_link(client):
    nobody = UserFactory()
    client.force_login(nobody)
    assert "calendar" not in client.get("/").content.decode().lower()
    assert client.post("/deadlines/calendar-link/", {"action": "create"}).status_code == 403
    assert not CalendarFeedKey.objects.exists()


def test_changing_the_password_revokes_the_link(client, cqm):
    _, _, secret = create_link(client, cqm)
    cqm.set_password("a-completely-new-passphrase")
    cqm.save()
    assert feed(client, secret).status_code == 404 and not CalendarFeedKey.objects.filter(user=cqm).exists()
    assert Event.objects.filter(kind="calendar_link_revoked", object_id=str(cqm.pk),
                                summary__contains="password").exists()


def test_rehashing_the_same_password_or_saving_other_fields_keeps_the_link(client, cqm):
    _, _, secret = create_link(client, cqm)
    user = User.objects.get(pk=cqm.pk)
    user.set_password(PASSWORD)  # same password, new salt: what Django does when it upgrades a hash at sign-in
    user.save(update_fields=["password"])
    user.first_name = "Renamed"
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert feed(client, secret).status_code == 200


def test_deactivating_the_account_revokes_the_link(client, cqm):
    _, _, secret = create_link(client, cqm)
    cqm.is_active = False
    cqm.save()
    cqm.is_active = True
    cqm.save()
    assert feed(client, secret).status_code == 404


def test_bulk_deactivation_without_signals_still_404s_and_revokes(client, cqm):
    _, _, secret = create_link(client, cqm)
    User.objects.filter(pk=cqm.pk).update(is_active=False)
    assert feed(client, secret).status_code == 404
    User.objects.filter(pk=cqm.pk).update(is_active=True)
    assert feed(client, secret).status_code == 404  # the key went with the first refusal


@pytest.mark.parametrize("how", ["clear", "set_none", "remove", "group_side_remove", "group_side_clear",
                                 "group_deleted"])
def test_losing_every_role_revokes_the_link(client, how, django_capture_on_commit_callbacks):
    group = Group.objects.create(name="Temporary role")
    user = UserFactory()
    user.groups.add(group)
    _, _, secret = create_link(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        {"clear": lambda: user.groups.clear(),
         "set_none": lambda: user.groups.set([]),
         "remove": lambda: user.groups.remove(group),
         "group_side_remove": lambda: group.user_set.remove(user),
         "group_side_clear": lambda: group.user_set.clear(),
         "group_deleted": lambda: group.delete()}[how]()
    assert not CalendarFeedKey.objects.filter(user=user).exists()
    assert Event.objects.filter(kind="calendar_link_revoked", object_id=str(user.pk)).exists()
    user.groups.add(Group.objects.get(name=roles.CQM))  # a new role does not bring the old address back
    assert feed(client, secret).status_code == 404


def test_losing_one_of_two_roles_or_swapping_a_role_keeps_the_link(client, django_capture_on_commit_callbacks):
    user = UserFactory(roles=[roles.CQM, roles.AUDITOR])
    _, _, secret = create_link(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        user.groups.remove(Group.objects.get(name=roles.AUDITOR))
    assert feed(client, secret).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user.groups.set([Group.objects.get(name=roles.CONTRACT_OFFICER)])  # removes CQM, then adds the new role
    assert callbacks and feed(client, secret).status_code == 200


def test_restricted_case_shows_only_its_reference_to_someone_not_cleared(client, cqm):
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    provider = ProviderFactory(name="Secret Care Home")
    case = CaseFactory(level="ppm", owner=cqm, provider=provider)
    ConcernFactory(provider=provider, safeguarding=True, case=case, description="Named person hurt at night")
    services.schedule(key="t:restricted", kind="plan_action", case=case, due_date=soon(), assignee=officer,
                      title="Plan action due: move Mrs Example to a safer room")
    JqmmFactory(created_by=cqm, location="Room 4")

    _, _, secret = create_link(client, officer)
    body = feed(client, secret).content
    text = body.decode()
    deadline_event, jqmm_event = events(body)
    assert str(deadline_event["SUMMARY"]) == f"Restricted case {case.reference}: deadline"
    assert "DESCRIPTION" not in deadline_event and "LOCATION" not in deadline_event
    for secret_text in ("Secret Care Home", "Mrs Example", "Plan action", "Named person", "Open"):
        assert secret_text not in text
    assert str(jqmm_event["LOCATION"]) == "Room 4"

    # the CQM, who is cleared, sees it all
    _, _, cqm_secret = create_link(client, cqm)
    text = feed(client, cqm_secret).content.decode()
    assert "Secret Care Home" in text and "Mrs Example" in text


def test_a_concern_shared_with_the_officer_clears_them(client, cqm):
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="ppm", owner=cqm)
    concern = ConcernFactory(provider=case.provider, safeguarding=True, case=case)
    concern.shared_with.add(officer)
    services.schedule(key="t:shared", kind="plan_review", case=case, due_date=soon(), assignee=officer,
                      title="Review of the CAP")
    _, _, secret = create_link(client, officer)
    assert "Review of the CAP" in feed(client, secret).content.decode()


def test_user_text_cannot_inject_calendar_lines(client, cqm):
    provider = ProviderFactory(name="Evil Home\r\nBEGIN:VEVENT\r\nSUMMARY:Forged event\r\nEND:VEVENT")
    case = CaseFactory(level="ppm", owner=cqm, provider=provider)
    services.schedule(key="t:inject", kind="plan_review", case=case, due_date=soon(),
                      title="Title\nEND:VCALENDAR\r\nX-EVIL:1;x,y\\z")
    JqmmFactory(created_by=cqm, location="Hall\r\nBEGIN:VALARM\r\nACTION:AUDIO")
    _, _, secret = create_link(client, cqm)
    body = feed(client, secret).content
    lines = body.decode().split("\r\n")
    assert not any(line.startswith(("SUMMARY:Forged", "X-EVIL", "BEGIN:VALARM", "ACTION:")) for line in lines)
    assert lines.count("BEGIN:VEVENT") == 2 and lines.count("END:VCALENDAR") == 1
    assert all("\n" not in line and "\r" not in line for line in lines)
    deadline_event, jqmm_event = events(body)
    assert "Evil Home\nBEGIN:VEVENT" in str(deadline_event["DESCRIPTION"])  # kept as text, escaped on the wire
    assert str(deadline_event["SUMMARY"]).endswith("Title\nEND:VCALENDAR\nX-EVIL:1;x,y\\z")
    assert str(jqmm_event["LOCATION"]) == "Hall\nBEGIN:VALARM\nACTION:AUDIO"


def test_the_calendar_buttons_carry_a_one_time_token_and_a_repeat_changes_nothing(client, cqm):
    from core import once

    client.force_login(cqm)
    home = client.get("/").content.decode()
    assert 'name="form_token"' in home  # on the "Create a calendar link" form
    token = once.issue(cqm)
    first = client.post("/deadlines/calendar-link/", {"action": "create", "form_token": token})
    assert first.status_code == 200
    _, secret = URL_RE.search(first.content.decode()).groups()
    # A double click: the second answer says so and makes no new address, so the first one still works.
    second = client.post("/deadlines/calendar-link/", {"action": "create", "form_token": token}, follow=True)
    page = second.content.decode()
    assert "This form was already sent" in page and "reset the calendar link to get a new one" in page
    assert URL_RE.search(page) is None
    assert CalendarFeedKey.objects.filter(user=cqm).count() == 1
    assert Event.objects.filter(kind__startswith="calendar_link", object_id=str(cqm.pk)).count() == 1
    assert feed(client, secret).status_code == 200

    client.force_login(cqm)
    assert 'name="form_token"' in client.get("/").content.decode()  # on the reset / turn off form too
    token = once.issue(cqm)
    client.post("/deadlines/calendar-link/", {"action": "reset", "form_token": token})
    key = CalendarFeedKey.objects.get(user=cqm)
    client.post("/deadlines/calendar-link/", {"action": "reset", "form_token": token})
    assert CalendarFeedKey.objects.get(user=cqm) == key
    assert Event.objects.filter(kind="calendar_link_reset", object_id=str(cqm.pk)).count() == 1


def test_the_calendar_buttons_refuse_a_missing_or_someone_elses_token(client, cqm):
    from core import once

    other = UserFactory(roles=[roles.CQM])
    client.force_login(cqm)
    for token in ("", "forged", once.issue(other)):
        response = client.post("/deadlines/calendar-link/", {"action": "create", "form_token": token}, follow=True)
        page = response.content.decode()
        assert "Send it again" in page or "send it again" in page
        assert URL_RE.search(page) is None
    assert not CalendarFeedKey.objects.exists()
    assert not Event.objects.filter(kind__startswith="calendar_link").exists()
