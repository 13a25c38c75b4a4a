"""The providers' portal: contacts and their sign-in, sharing a concern with its provider, the provider's replies
(portal.services, portal.views, portal.staff_views). The URL x role x object sweep is test_portal_boundary.py."""

import datetime
import logging
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from audit.models import Event
from concerns.models import Concern
from core import outbox
from core.dates import long_date
from core.models import OutboxMessage
from portal import services
from portal.models import ProviderReply, ProviderShare, ReplyFile, SharedDocument
from providers.models import ProviderContact
from tests.conftest import totp_code, totp_device
from tests.factories import PASSWORD, CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "Enter a correct username and password"
DESCRIPTION = "Mrs Example in room 4 was left without her medication by the night carer"
SUMMARY = "We have a concern about night-time medicine rounds in November. Tell us what happened and what changed."
TITLE = "Night-time medicine rounds"


def pdf(name="evidence.pdf", text="reply evidence"):
    body = (b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def contact_of(provider, username, **extra):
    user = UserFactory(username=username, **extra)
    ProviderContact.objects.create(provider=provider, user=user, name=user.get_full_name(), email=user.email)
    return user


def deliver():
    """What the relay job does after a commit: publish the outbox (Celery runs eagerly in tests)."""
    outbox.relay()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(cqm, officer):
    provider, other = ProviderFactory(name="Oakwood Lodge"), ProviderFactory(name="Birch House")
    concern = ConcernFactory(provider=provider, description=DESCRIPTION, raised_by="Jo Reporter", logged_by=officer)
    case = CaseFactory(provider=provider, level="ppm", owner=cqm)
    Concern.objects.filter(pk=concern.pk).update(case=case)
    concern.refresh_from_db()
    return {"provider": provider, "other": other, "concern": concern, "case": case,
            "contact": contact_of(provider, "manager"), "other_contact": contact_of(other, "rival")}


def share(world, user, **kw):
    args = {"kind": "response", "title": TITLE, "summary": SUMMARY, "closes_on": None, "files": ()} | kw
    return services.share_with_provider(user=user, concern_id=world["concern"].pk, **args)


# --- contacts and invitations -------------------------------------------------------------------------------------

def test_cqm_adds_a_contact_who_gets_an_invitation_sets_a_password_then_sets_up_the_app(cqm, provider):
    client = client_for(cqm)
    page = client.get(reverse("providers:detail", args=[provider.pk])).content.decode()
    assert reverse("portal_staff:contacts", args=[provider.pk]) in page
    response = client.post(reverse("portal_staff:contacts", args=[provider.pk]),
                           {"name": "Janet Price", "email": "janet@oakwood.example", "job_title": "Manager"})
    assert response.status_code == 302
    contact = ProviderContact.objects.get(provider=provider)
    account = contact.user
    assert not account.has_usable_password() and not roles.roles_of(account) and not account.is_staff
    assert Event.objects.filter(kind="provider_contact_added", object_id=str(provider.pk)).exists()
    deliver()
    [invitation] = mail.outbox
    assert invitation.to == ["janet@oakwood.example"] and "providers' portal" in invitation.subject
    link = re.search(r"http\S+/portal/invitation/\S+/", invitation.body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in link else "/" + link.split("/", 3)[3]
    visitor = Client()
    assert "Choose your password" in visitor.get(path).content.decode()
    short = visitor.post(path, {"new_password1": "short", "new_password2": "short"})
    assert short.status_code == 400 and "govuk-error-summary" in short.content.decode()
    chosen = "a-long-portal-pass-2026"
    response = visitor.post(path, {"new_password1": chosen, "new_password2": chosen})
    assert response.status_code == 302 and response["Location"] == reverse("portal:set_up")
    assert "Set up two-factor authentication" in visitor.get(reverse("portal:set_up")).content.decode()
    assert visitor.get(reverse("portal:home"))["Location"].startswith(reverse("portal:set_up"))
    # The link works once.
    assert Client().get(path).status_code == 404


def test_a_staff_email_cannot_become_a_contact_and_nothing_is_saved(cqm, officer, provider):
    response = client_for(cqm).post(reverse("portal_staff:contacts", args=[provider.pk]),
                                    {"name": "An Officer", "email": officer.email})
    assert response.status_code == 400 and "belongs to a member of council staff" in response.content.decode()
    deliver()
    assert not ProviderContact.objects.exists() and not mail.outbox and not OutboxMessage.objects.exists()


def test_a_sign_in_made_at_the_same_moment_for_another_provider_is_an_error_not_a_crash(cqm, provider):
    """Two CQMs add the same new email address to two providers at once: neither sees the other's new account
    before saving it, so the second save breaks the unique username. That is a form error, and nothing is saved."""
    from unittest import mock

    from django.contrib.auth import get_user_model

    other = ProviderFactory()
    services.add_contact(user=cqm, provider_id=other.pk, name="Sam Both", email="sam@group.example")
    taken = get_user_model().objects.get(username="sam@group.example")
    get_user_model().objects.filter(pk=taken.pk).update(email="sam.old@group.example")  # the lookup misses it
    with mock.patch("django.db.models.query.QuerySet.exists", return_value=False), \
            pytest.raises(ValidationError) as refused:
        services.add_contact(user=cqm, provider_id=provider.pk, name="Sam Both", email="sam@group.example")
    assert "same moment" in refused.value.message_dict["email"][0]
    assert not ProviderContact.objects.filter(provider=provider).exists()


def test_only_a_cqm_or_administrator_manages_contacts(officer, administrator, provider):
    url = reverse("portal_staff:contacts", args=[provider.pk])
    assert client_for(officer).get(url).status_code == 403
    response = client_for(officer).post(url, {"name": "X", "email": "x@example.com"})
    assert response.status_code == 403 and not ProviderContact.objects.exists()
    assert url not in client_for(officer).get(reverse("providers:detail", args=[provider.pk])).content.decode()
    assert client_for(administrator).get(url).status_code == 200


def test_deactivated_contact_sees_nothing_and_a_new_invitation_brings_them_back(world, cqm):
    contact = ProviderContact.objects.get(user=world["contact"])
    share(world, cqm)
    client = client_for(world["contact"])
    assert client.get(reverse("portal:home")).status_code == 200
    client_for(cqm).post(reverse("portal_staff:contact_deactivate", args=[contact.pk]), {})
    assert not ProviderContact.objects.get(pk=contact.pk).is_active
    response = client.get(reverse("portal:home"), follow=True)  # signed out at the next request, and told why
    assert response.redirect_chain[0][0] == reverse("portal:sign_in")
    assert "your access to the providers&#x27; portal has ended" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # a signed-out visitor: to the staff sign-in
    client_for(cqm).post(reverse("portal_staff:contact_reinvite", args=[contact.pk]), {})
    assert ProviderContact.objects.get(pk=contact.pk).is_active
    deliver()
    assert mail.outbox[-1].to == [contact.email] and "/portal/invitation/" in mail.outbox[-1].body


def test_an_invitation_link_sets_a_password_once_even_when_two_sends_pass_the_pages_check(world):
    """Two sends of the same link at once both pass the page's token check before either has saved: the service
    checks the token again once it has locked the account, so only the first sets a password."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator

    account = get_user_model().objects.get(pk=world["contact"].pk)
    token = default_token_generator.make_token(account)
    services.set_contact_password(account=account, password="first-long-password-2026", token=token)
    with pytest.raises(PermissionDenied):
        services.set_contact_password(account=account, password="second-long-password-2026", token=token)
    assert get_user_model().objects.get(pk=account.pk).check_password("first-long-password-2026")
    assert Event.objects.filter(kind="portal_password_set").count() == 1


def test_a_council_account_with_a_contact_row_is_no_provider_contact(world, officer, cqm):
    """A contact row on a staff account (say, added in the admin) gives it nothing in the portal: no provider, no
    reply, no invitation; a superuser with no role is staff too."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator

    from portal import permissions as perms
    from providers.contacts import provider_ids_for

    shared = share(world, cqm)
    ProviderContact.objects.create(provider=world["provider"], user=officer, name="An Officer", email=officer.email)
    staff = get_user_model().objects.get(pk=officer.pk)
    assert provider_ids_for(staff) == frozenset() and not perms.can_reply(staff, shared)
    with pytest.raises(PermissionDenied):
        services.send_reply(user=staff, share_id=shared.pk, text="From the wrong side")
    admin = UserFactory(username="rootish", roles=[], is_superuser=True)
    row = ProviderContact.objects.create(provider=world["provider"], user=admin, name="Root", email=admin.email)
    admin = get_user_model().objects.get(pk=admin.pk)
    assert provider_ids_for(admin) == frozenset() and not perms.can_reply(admin, shared)
    with pytest.raises(ValidationError):
        services.reinvite_contact(user=cqm, contact_id=row.pk)
    with pytest.raises(PermissionDenied):
        services.set_contact_password(account=admin, password="a-long-portal-pass-2026",
                                      token=default_token_generator.make_token(admin))
    assert not ProviderReply.objects.exists()


def test_an_out_of_date_portal_form_gets_the_portals_own_page_not_the_staff_one(world, cqm, officer):
    """A form sent after the session ended (or from an old tab) fails its CSRF check: inside the portal the page has
    no staff menu and sends the person to the portal's sign-in, which is the one they can use."""
    shared = share(world, cqm)
    contact = Client(enforce_csrf_checks=True)
    contact.force_login(world["contact"])
    page = contact.post(reverse("portal:shared", args=[shared.pk]), {"text": "x"})
    body = page.content.decode()
    assert page.status_code == 403 and "This page has expired" in body
    assert reverse("portal:home") in body and "Risk matrix" not in body and 'href="/"' not in body
    anonymous = Client(enforce_csrf_checks=True).post(reverse("portal:sign_in"), {"username": "x", "password": "y"})
    body = anonymous.content.decode()
    assert anonymous.status_code == 403 and reverse("portal:sign_in") in body
    assert f'href="{reverse("login")}"' not in body
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(officer)
    assert "Go to your work" in staff.post("/deadlines/calendar-link/", {"action": "create"}).content.decode()
    assert not ProviderReply.objects.exists()


def test_portal_pages_refuse_other_methods(world, cqm):
    shared = share(world, cqm)
    client = client_for(world["contact"])
    for url in (reverse("portal:home"), reverse("portal:shared", args=[shared.pk])):
        assert client.put(url).status_code == 405 and client.delete(url).status_code == 405
    assert client.head(reverse("portal:home")).status_code == 200


# --- signing in ---------------------------------------------------------------------------------------------------

def test_contact_signs_in_to_the_portal_with_password_then_code(world):
    contact = world["contact"]
    totp_device(contact)
    client = Client()
    response = client.post(reverse("portal:sign_in"), {"username": contact.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:sign_in_code"))
    # Half signed in: every portal page sends them to the portal's own code step, nothing else is open.
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:sign_in_code"))
    assert client.get(reverse("home")).status_code == 404
    response = client.post(reverse("portal:sign_in_code"), {"otp_token": totp_code(contact)})
    assert response["Location"] == reverse("portal:home")
    page = client.get(reverse("portal:home")).content.decode()
    assert "Shared with you" in page and reverse("concerns:list") not in page
    client.post(reverse("portal:sign_out"))
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:sign_in"))


def test_anonymous_portal_pages_go_to_the_portal_sign_in(world):
    response = Client().get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:sign_in"))


def test_staff_cannot_sign_in_to_the_portal_nor_contacts_to_staff_sign_in_with_the_same_message(world, officer):
    refused = Client().post(reverse("portal:sign_in"), {"username": officer.username, "password": PASSWORD})
    wrong = Client().post(reverse("portal:sign_in"), {"username": officer.username, "password": "wrong-one"})
    assert refused.status_code == wrong.status_code == 200
    assert WRONG_PASSWORD in refused.content.decode() and WRONG_PASSWORD in wrong.content.decode()
    contact = world["contact"]
    refused = Client().post(reverse("login"), {"username": contact.username, "password": PASSWORD})
    wrong = Client().post(reverse("login"), {"username": contact.username, "password": "wrong-one"})
    assert WRONG_PASSWORD in refused.content.decode() and WRONG_PASSWORD in wrong.content.decode()
    assert "_auth_user_id" not in refused.client.session


def test_portal_sign_in_is_throttled_like_staff_sign_in(world, settings):
    settings.AXES_ENABLED = True
    client = Client(REMOTE_ADDR="10.9.0.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("portal:sign_in"), {"username": world["contact"].username, "password": "wrong"})
    locked = client.post(reverse("portal:sign_in"), {"username": world["contact"].username, "password": PASSWORD})
    assert locked.status_code in (403, 429) and "_auth_user_id" not in client.session


# --- sharing ------------------------------------------------------------------------------------------------------

def test_officer_shares_a_concern_and_contacts_get_an_email_with_no_case_details(world, officer, cqm):
    client = client_for(officer)
    concern = world["concern"]
    page = client.get(concern.get_absolute_url()).content.decode()
    assert reverse("portal_staff:share", args=[concern.pk]) in page
    form = client.get(reverse("portal_staff:share", args=[concern.pk])).content.decode()
    assert long_date(timezone.localdate() + datetime.timedelta(days=14)) in form
    response = client.post(reverse("portal_staff:share", args=[concern.pk]),
                           {"kind": "response", "title": TITLE, "summary": SUMMARY})
    assert response.status_code == 302
    shared = ProviderShare.objects.get()
    assert shared.closes_on == timezone.localdate() + datetime.timedelta(days=14)
    assert shared.provider == world["provider"] and shared.shared_by == officer
    assert Event.objects.filter(kind="shared_with_provider", object_id=str(concern.pk)).exists()
    assert Event.objects.filter(kind="shared_with_provider", object_id=str(world["case"].pk),
                                content_type__model="escalationcase").exists()
    deliver()
    [email] = mail.outbox
    assert email.to == [world["contact"].email]
    text = email.subject + email.body
    assert f"There is something new for {world['provider']} in the providers' portal. Sign in:" in email.body
    assert reverse("portal:sign_in") in email.body
    for secret in (DESCRIPTION, SUMMARY, TITLE, concern.reference, "Jo Reporter", "CM1001"):
        assert secret not in text


def test_the_sharer_may_choose_another_closing_date_and_the_setting_changes_the_default(world, cqm, settings):
    settings.PROVIDER_REPLY_DAYS = 5
    assert share(world, cqm).closes_on == timezone.localdate() + datetime.timedelta(days=5)
    chosen = timezone.localdate() + datetime.timedelta(days=30)
    assert share(world, cqm, closes_on=chosen).closes_on == chosen


def test_a_restricted_concern_cannot_be_shared(world, cqm):
    restricted = ConcernFactory(provider=world["provider"], safeguarding=True, logged_by=cqm)
    client = client_for(cqm)
    assert reverse("portal_staff:share", args=[restricted.pk]) not in client.get(
        restricted.get_absolute_url()).content.decode()
    response = client.post(reverse("portal_staff:share", args=[restricted.pk]),
                           {"kind": "response", "title": TITLE, "summary": SUMMARY})
    assert response.status_code == 403
    with pytest.raises(Exception, match="safeguarding-restricted"):
        services.share_with_provider(user=cqm, concern_id=restricted.pk, kind="response", title=TITLE,
                                     summary=SUMMARY)
    deliver()
    assert not ProviderShare.objects.exists() and not mail.outbox


def test_factual_accuracy_needs_the_draft_and_the_provider_can_download_it(world, cqm):
    response = client_for(cqm).post(reverse("portal_staff:share", args=[world["concern"].pk]),
                                    {"kind": "accuracy", "title": "Draft PPM report", "summary": SUMMARY})
    assert response.status_code == 400 and "Attach the draft document" in response.content.decode()
    assert not ProviderShare.objects.exists()
    shared = share(world, cqm, kind="accuracy", files=[pdf("draft-report.pdf", "draft body")])
    document = SharedDocument.objects.get(share=shared)
    client = client_for(world["contact"])
    page = client.get(shared.get_absolute_url()).content.decode()
    assert "draft-report.pdf" in page and "factual-accuracy" in page
    download = client.get(reverse("portal:shared_document", args=[shared.pk, document.pk]))
    assert download.status_code == 200 and b"draft body" in b"".join(download.streaming_content)


# --- replying -----------------------------------------------------------------------------------------------------

def test_provider_sees_only_the_summary_and_replies_with_a_file_and_the_sharer_is_told(world, officer):
    shared = share(world, officer)
    deliver()
    client = client_for(world["contact"])
    home = client.get(reverse("portal:home")).content.decode()
    assert TITLE in home and world["other"].name not in home
    page = client.get(shared.get_absolute_url()).content.decode()
    assert SUMMARY in page and DESCRIPTION not in page and "Jo Reporter" not in page
    assert world["concern"].reference not in page
    mail.outbox.clear()
    response = client.post(shared.get_absolute_url(), {"text": "We retrained the night team.",
                                                        "files": [pdf("training-log.pdf")]})
    assert response.status_code == 302
    reply = ProviderReply.objects.get()
    assert reply.sent_by == world["contact"] and ReplyFile.objects.get(reply=reply).original_name == "training-log.pdf"
    assert Event.objects.filter(kind="provider_replied", object_id=str(world["concern"].pk)).exists()
    deliver()
    assert Notification.objects.filter(recipient=officer, message__contains="replied in the providers' portal").exists()
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert "We retrained the night team." in client.get(shared.get_absolute_url()).content.decode()


def test_a_reply_after_the_window_is_refused_with_the_date_and_nothing_is_saved(world, cqm):
    shared = share(world, cqm)
    closed_on = timezone.localdate() - datetime.timedelta(days=1)
    ProviderShare.objects.filter(pk=shared.pk).update(closes_on=closed_on)
    client = client_for(world["contact"])
    page = client.get(shared.get_absolute_url()).content.decode()
    assert f"The window for replies closed on {long_date(closed_on)}" in page and "Send reply" not in page
    events = Event.objects.count()
    response = client.post(shared.get_absolute_url(), {"text": "Late reply", "files": [pdf()]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body and f"The window for replies closed on {long_date(closed_on)}" in body
    assert not ProviderReply.objects.exists() and not ReplyFile.objects.exists() and Event.objects.count() == events


def test_a_file_that_fails_the_checks_is_refused_and_nothing_is_saved(world, cqm):
    shared = share(world, cqm)
    fake = SimpleUploadedFile("evidence.pdf", b"MZ this is not a pdf at all", content_type="application/pdf")
    response = client_for(world["contact"]).post(shared.get_absolute_url(), {"text": "Here", "files": [fake]})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode() and "evidence.pdf" in response.content.decode()
    assert not ProviderReply.objects.exists() and not ReplyFile.objects.exists()


def test_another_providers_contact_gets_404_and_the_refusal_is_logged(world, cqm, caplog):
    shared = share(world, cqm)
    rival = client_for(world["other_contact"])
    with caplog.at_level(logging.WARNING, logger="core.refusals"):
        assert rival.get(shared.get_absolute_url()).status_code == 404
        response = rival.post(shared.get_absolute_url(), {"text": "Not mine"})
        assert response.status_code == 404
    assert not ProviderReply.objects.exists()
    lines = [r.getMessage() for r in caplog.records if r.name == "core.refusals"]
    assert any(f"/portal/shared/{shared.pk}/" in line and "status=404" in line
               and "reason=portal_not_their_provider" in line for line in lines), lines
    assert TITLE not in rival.get(reverse("portal:home")).content.decode()


def test_staff_see_replies_on_the_concern_and_case_pages_and_mark_them_read(world, officer, cqm):
    shared = share(world, cqm)
    reply = services.send_reply(user=world["contact"], share_id=shared.pk, text="Our answer", files=[pdf("a.pdf")])
    client = client_for(officer)
    page = client.get(world["concern"].get_absolute_url()).content.decode()
    assert "Our answer" in page and "a.pdf" in page and "Mark as read" in page
    assert "Our answer" in client.get(reverse("escalation:shared", args=[world["case"].pk])).content.decode()
    file_url = reverse("portal_staff:reply_file", args=[reply.pk, reply.files.get().pk])
    assert client.get(file_url).status_code == 200
    response = client.post(reverse("portal_staff:reply_read", args=[reply.pk]),
                           {"next": world["concern"].get_absolute_url()})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.read_by == officer and reply.read_at is not None
    assert Event.objects.filter(kind="provider_reply_read").count() == 1
    auditor = UserFactory(roles=[roles.AUDITOR])
    assert client_for(auditor).post(reverse("portal_staff:reply_read", args=[reply.pk]), {}).status_code == 403


def test_portal_home_runs_a_fixed_number_of_queries(world, cqm, django_assert_max_num_queries):
    for n in range(12):
        shared = share(world, cqm, title=f"Item {n}")
        services.send_reply(user=world["contact"], share_id=shared.pk, text="Reply")
    client = client_for(world["contact"])
    client.get(reverse("portal:home"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal:home")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(shared.get_absolute_url()).status_code == 200


def test_concern_and_case_pages_do_not_run_more_queries_with_more_shares_and_replies(world, cqm):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(cqm)
    urls = [world["concern"].get_absolute_url(), world["case"].get_absolute_url()]

    def count():
        out = []
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries.captured_queries))
        return out

    shared = share(world, cqm)
    services.send_reply(user=world["contact"], share_id=shared.pk, text="One", files=[pdf()])
    few = count()
    for n in range(4):
        more = share(world, cqm, title=f"Item {n}", kind="accuracy", files=[pdf(f"draft{n}.pdf")])
        services.send_reply(user=world["contact"], share_id=more.pk, text="Two", files=[pdf(), pdf("b.pdf")])
    assert count() == few


def test_the_boundary_refuses_with_a_logged_404_both_ways(world, officer, caplog):
    with caplog.at_level(logging.WARNING, logger="core.refusals"):
        contact = client_for(world["contact"])
        for url in ("/", "/concerns/", f"/providers/{world['provider'].pk}/", "/account/", "/admin/", "/sign-in/"):
            response = contact.get(url)
            assert response.status_code == 404, url
            assert "Concerns" not in response.content.decode()  # the portal's own page: no staff menu
        staff = client_for(officer)
        assert staff.get(reverse("portal:home")).status_code == 404
        assert staff.get(reverse("portal:sign_in")).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "core.refusals"]
    assert sum("reason=portal_boundary" in line for line in lines) == 7, lines


def test_an_idle_portal_session_ends_at_the_portal_sign_in(world, settings):
    import time

    from accounts.middleware import LAST_SEEN

    client = client_for(world["contact"])
    session = client.session
    session[LAST_SEEN] = time.time() - float(settings.SESSION_IDLE_MINUTES) * 60 - 5
    session.save()
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:sign_in"))


def test_the_session_warning_in_the_portal_keeps_the_portal_session_and_signs_out_of_the_portal(world, officer):
    html = client_for(world["contact"]).get(reverse("portal:home")).content.decode()
    keep_alive, sign_out = reverse("portal:keep_alive"), reverse("portal:sign_out")
    assert f'data-status-url="{keep_alive}"' in html and f'action="{keep_alive}"' in html
    assert html.count(f'action="{sign_out}"') == 2  # the header's and the warning's
    assert f'action="{reverse("logout")}"' not in html
    staff = client_for(officer).get(reverse("home")).content.decode()
    assert f'data-status-url="{reverse("keep_alive")}"' in staff and keep_alive not in staff


def test_a_former_staff_account_with_no_role_is_not_reused_as_a_contacts_sign_in(world, cqm):
    """An account with the same email and no role that was never a portal sign-in (a former member of staff whose
    roles were taken away) is refused, not handed to a provider; an existing portal sign-in is reused."""
    former = UserFactory(username="leaver", email="leaver@provider.example", roles=[])
    with pytest.raises(ValidationError, match="not a providers' portal sign-in"):
        services.add_contact(user=cqm, provider_id=world["provider"].pk, name="Lee Leaver",
                             email="LEAVER@provider.example")
    assert not ProviderContact.objects.filter(user=former).exists()
    other = ProviderFactory()
    existing = world["contact"]
    contact = services.add_contact(user=cqm, provider_id=other.pk, name="Same Person", email=existing.email)
    assert contact.user_id == existing.pk
