"""Signing in with two factors, session limits and the per-address lock (accounts.middleware, accounts.mfa)."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice as StaticDeviceModel
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, roles
from accounts import sign_in_views as mfa_views
from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from accounts.sign_in_views import WRONG_CODE
from audit.models import Event
from concerns.models import RiskMatrix
from tests.conftest import totp_code, totp_device
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ENDED = "Your session has ended. Sign in again; what you entered was not saved."


def password_step(client, user, next_url=None, **extra):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, **extra)


def code_step(client, code, next_url=None):
    data = {"otp_token": code}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login_code"), data)


def signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def matrix_post_data():
    data = {f"cell_{e}_{i}": "sosg" if (e, i) == (0, 0) else "ppm" for e in range(5) for i in range(6)}
    return data | {"note": "Review of 2026"}


# --- the second factor -------------------------------------------------------------------------------------------


def test_password_alone_reaches_no_page_download_or_admin(client, officer, administrator, concern_factory):
    totp_device(officer)
    response = password_step(client, officer, next_url=reverse("providers:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login_code") + "?next=%2Fproviders%2F"
    concern = concern_factory(logged_by=officer)
    for path in [reverse("home"), reverse("providers:list"), reverse("concerns:list"), concern.get_absolute_url(),
                 reverse("concerns:evidence_download", args=[concern.pk, 1]), reverse("account"),
                 reverse("admin:index"), "/admin/accounts/user/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login_code")), path
    # A form post without the code changes nothing either.
    client_admin = Client()
    totp_device(administrator)
    password_step(client_admin, administrator)
    response = client_admin.post(reverse("concerns:risk_matrix_new"), matrix_post_data())
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert RiskMatrix.current().version == 1


def test_public_pages_and_sign_out_work_before_the_code(client, officer):
    totp_device(officer)
    password_step(client, officer)
    assert client.get(reverse("login_code")).status_code == 200
    assert client.get(reverse("login")).status_code == 302  # already past the password step: on to the code
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login") + "?")


def test_code_step_completes_sign_in_and_goes_where_the_person_was_going(client, officer):
    totp_device(officer)
    password_step(client, officer, next_url=reverse("providers:list"))
    page = client.get(reverse("login_code") + "?next=/providers/").content.decode()
    assert "Enter the security code" in page and 'name="otp_token"' in page and "Security code" in page
    assert "6 digits from the authenticator app, or one of your recovery codes" in page
    response = code_step(client, totp_code(officer), next_url="/providers/")
    assert response.status_code == 302 and response["Location"] == "/providers/"
    assert signed_in(client)
    page = client.get(reverse("home")).content.decode()
    assert reverse("account") in page and "Your account" in page


def test_code_step_refuses_an_unsafe_next_address(client, officer):
    password_step(client, officer)
    response = code_step(client, totp_code(officer), next_url="https://evil.example.com/")
    assert response["Location"] == reverse("home")


def test_admin_needs_the_second_factor_too(client, officer):
    admin = UserFactory(username="ada", roles=[roles.ADMINISTRATOR])
    admin.is_staff = admin.is_superuser = True
    admin.save()
    totp_device(admin)
    password_step(client, admin, next_url="/admin/")
    response = client.get("/admin/")
    assert response["Location"] == reverse("login_code") + "?next=%2Fadmin%2F"
    # The admin's own sign-in page does not get round it.
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"].startswith(reverse("login_code"))
    response = code_step(client, totp_code(admin), next_url="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Signed in with both factors but not staff: refused, not sent round in circles.
    other = Client()
    other.force_login(officer)
    response = other.get("/admin/", follow=True)
    assert response.status_code == 403


def test_wrong_code_is_refused_with_the_message(client, officer):
    device = totp_device(officer)
    password_step(client, officer)
    good = totp_code(officer)
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    response = code_step(client, wrong)
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page and WRONG_CODE in page and "Error: Enter the security code" in page
    assert not signed_in(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_empty_code_asks_for_one_without_counting_a_failure(client, officer):
    device = totp_device(officer)
    password_step(client, officer)
    response = code_step(client, "  ")
    assert response.status_code == 400 and "Enter the security code" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_cannot_be_used_twice(officer):
    first, second = Client(), Client()
    password_step(first, officer)
    code = totp_code(officer)
    assert code_step(first, code).status_code == 302 and signed_in(first)
    password_step(second, officer)
    response = code_step(second, code)
    assert response.status_code == 400 and WRONG_CODE in response.content.decode()
    assert not signed_in(second)


def test_wrong_codes_are_throttled_and_the_page_says_when_to_try_again(client, officer):
    good = totp_code(officer)
    password_step(client, officer)
    code_step(client, "000000" if good != "000000" else "111111")
    # Within the wait, even the right code is not tried.
    response = code_step(client, good)
    page = response.content.decode()
    assert response.status_code == 400
    assert "You have entered too many wrong codes. Wait 1 second, then try again (after " in page
    assert not signed_in(client)
    device = TOTPDevice.objects.get(user=officer)
    assert device.throttling_failure_count == 1 and device.last_t == -1
    # The wait doubles with each wrong code.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=4)
    assert "Wait 8 seconds" in code_step(client, "123456").content.decode()


def test_after_the_wait_the_right_code_works(client, officer):
    good = totp_code(officer)
    password_step(client, officer)
    code_step(client, "abc")
    time.sleep(1.1)
    assert code_step(client, good).status_code == 302 and signed_in(client)


def test_recovery_code_works_once(officer):
    totp_device(officer)
    codes = mfa.new_recovery_codes(officer)
    assert len(codes) == 10 and len(set(codes)) == 10
    first, second = Client(), Client()
    password_step(first, officer)
    response = code_step(first, codes[3].upper())  # typed in capitals: still accepted
    assert response.status_code == 302
    assert "You used a recovery code. You have 9 left" in first.get(reverse("home")).content.decode()
    assert StaticToken.objects.filter(device__user=officer).count() == 9
    password_step(second, officer)
    response = code_step(second, codes[3])
    assert response.status_code == 400 and WRONG_CODE in response.content.decode()
    assert not signed_in(second)


def test_set_up_shows_a_qr_code_and_key_then_the_recovery_codes_once(client, officer):
    response = password_step(client, officer, next_url="/concerns/")
    response = client.get(response["Location"])
    assert response["Location"] == reverse("mfa_setup") + "?next=%2Fconcerns%2F"
    page = client.get(response["Location"]).content.decode()
    assert '<img class="app-qr-code" src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert mfa.key_base32(device) in page
    assert "Turn on two-factor authentication" in page and 'name="otp_token"' in page
    # The same key on reload, so a half-finished set-up still works.
    client.get(reverse("mfa_setup"))
    assert TOTPDevice.objects.filter(user=officer).count() == 1
    # Until it is on, nothing else opens.
    assert client.get(reverse("home"))["Location"] == reverse("mfa_setup") + "?next=%2F"

    response = client.post(reverse("mfa_setup"), {"otp_token": "12", "next": "/concerns/"})
    assert response.status_code == 400 and WRONG_CODE in response.content.decode()
    time.sleep(1.1)
    code = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("mfa_setup"), {"otp_token": code, "next": "/concerns/"})
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "Two-factor authentication is on" in page and 'href="/concerns/"' in page and "Continue" in page
    shown = [t.token for t in StaticToken.objects.filter(device__user=officer)]
    assert len(shown) == 10 and all(token in page for token in shown)
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in(client)
    assert Event.objects.filter(kind="two_factor_on", object_id=str(officer.pk)).exists()
    # Shown once: set-up is over, and the page does not come back.
    assert client.get(reverse("mfa_setup"))["Location"] == reverse("account")


def test_set_up_does_not_accept_an_old_recovery_code(client, officer):
    codes = mfa.new_recovery_codes(officer)  # left over, for example after the app was reset
    password_step(client, officer)
    client.get(reverse("mfa_setup"))
    response = client.post(reverse("mfa_setup"), {"otp_token": codes[0]})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_your_account_shows_status_and_roles_and_creates_new_recovery_codes(client, officer):
    old = mfa.new_recovery_codes(officer)
    client.force_login(officer)
    page = client.get(reverse("account")).content.decode()
    assert "Your account" in page and officer.get_full_name() in page and roles.CONTRACT_OFFICER in page
    assert "On: authenticator app" in page and "10 of 10" in page and "Create new recovery codes" in page
    assert f'href="{reverse("account_recovery_codes")}"' in page  # a link to the confirmation, not a bare post
    confirm = client.get(reverse("account_recovery_codes")).content.decode()
    assert "Your old recovery codes will stop working" in confirm and 'name="form_token"' in confirm
    response = client.post(reverse("account_recovery_codes"), {})
    page = response.content.decode()
    new = [t.token for t in StaticToken.objects.filter(device__user=officer)]
    assert len(new) == 10 and all(token in page for token in new) and not set(old) & set(new)
    assert "no-store" in response["Cache-Control"]
    assert Event.objects.filter(kind="recovery_codes_replaced").count() == 1


def token_for(user):
    from core import once

    return once.issue(user)


def test_new_recovery_codes_sent_twice_makes_one_set_and_shows_it_again(client, officer):
    client.force_login(officer)
    token = token_for(officer)
    first = client.post(reverse("account_recovery_codes"), {"form_token": token})
    codes = [t.token for t in StaticToken.objects.filter(device__user=officer)]
    assert first.status_code == 200 and len(codes) == 10 and all(code in first.content.decode() for code in codes)

    # A double click: the browser shows only the second answer, which must not make (and hide) another set.
    second = client.post(reverse("account_recovery_codes"), {"form_token": token})
    page = second.content.decode()
    assert second.status_code == 200 and "This form was already sent" in page
    assert "No more codes were made" in page and all(code in page for code in codes)
    assert sorted(t.token for t in StaticToken.objects.filter(device__user=officer)) == sorted(codes)
    assert Event.objects.filter(kind="recovery_codes_replaced", object_id=str(officer.pk)).count() == 1

    # Sent again long after: nothing is made or shown; back to Your account.
    from core.models import FormToken

    FormToken.objects.update(created_at=timezone.now() - mfa_views.RECOVERY_CODES_REPEAT_SHOWS_FOR * 2)
    late = client.post(reverse("account_recovery_codes"), {"form_token": token}, follow=True)
    page = late.content.decode()
    assert late.redirect_chain[-1][0] == reverse("account") and "This form was already sent" in page
    assert not any(code in page for code in codes)
    assert Event.objects.filter(kind="recovery_codes_replaced", object_id=str(officer.pk)).count() == 1


def test_new_recovery_codes_refuses_a_missing_or_someone_elses_token(client, officer, cqm):
    old = mfa.new_recovery_codes(officer)
    client.force_login(officer)
    for data in ({"form_token": ""}, {"form_token": token_for(cqm)}, {"form_token": "forged"}):
        response = client.post(reverse("account_recovery_codes"), data)
        assert response.status_code == 400 and "There is a problem" in response.content.decode()
        assert 'name="form_token"' in response.content.decode()
    assert sorted(t.token for t in StaticToken.objects.filter(device__user=officer)) == sorted(old)
    assert not Event.objects.filter(kind="recovery_codes_replaced").exists()


# --- second-factor devices in the administration pages ----------------------------------------------------------


@pytest.fixture
def admin_client(db):
    admin = UserFactory(username="ada", roles=[roles.ADMINISTRATOR])
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    client.admin = admin
    return client


DEVICE_PAGES = ["/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"]


def test_admin_cannot_add_a_device_or_choose_a_key_or_codes(admin_client, officer):
    app = totp_device(officer)
    mfa.new_recovery_codes(officer)
    recovery = mfa.recovery_device(officer)
    for changelist in DEVICE_PAGES:
        page = admin_client.get(changelist)
        assert page.status_code == 200 and f'href="{changelist}add/"' not in page.content.decode()
        assert escape(str(officer)) in page.content.decode()
        assert admin_client.get(changelist + "add/").status_code == 403
    key = "3132333435363738393031323334353637383930"
    response = admin_client.post("/admin/otp_totp/totpdevice/add/", {
        "user": officer.pk, "name": "Authenticator app", "confirmed": "on", "key": key, "step": 30, "t0": 0,
        "digits": 6, "tolerance": 1, "drift": 0, "throttling_failure_count": 0})
    assert response.status_code == 403
    response = admin_client.post("/admin/otp_static/staticdevice/add/", {
        "user": officer.pk, "name": "Recovery codes", "confirmed": "on", "token_set-TOTAL_FORMS": 1,
        "token_set-INITIAL_FORMS": 0, "token_set-0-token": "letmein1"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=officer).count() == 1 and mfa.recovery_codes_left(officer) == 10
    assert not StaticToken.objects.filter(token="letmein1").exists()

    # An existing device can be looked at, never changed, and its key and codes are not on the page.
    for url, device in ((f"/admin/otp_totp/totpdevice/{app.pk}/change/", app),
                        (f"/admin/otp_static/staticdevice/{recovery.pk}/change/", recovery)):
        page = admin_client.get(url).content.decode()
        assert escape(str(officer)) in page and 'name="name"' not in page
        assert app.key not in page and not any(t.token in page for t in recovery.token_set.all())
        response = admin_client.post(url, {"user": officer.pk, "name": "Mine", "confirmed": "on", "key": key})
        assert response.status_code == 403
        device.refresh_from_db()
        assert device.name != "Mine"
    app.refresh_from_db()
    assert app.key != key
    # The recovery codes have no page of their own.
    assert admin_client.get("/admin/otp_static/statictoken/").status_code == 404


def test_deleting_a_device_in_admin_is_an_audited_reset_and_set_up_comes_next(admin_client, officer):
    app = totp_device(officer)
    codes = mfa.new_recovery_codes(officer)
    already_in = Client()
    already_in.force_login(officer)  # a session verified by the app that is about to be deleted
    assert signed_in(already_in)
    confirm = admin_client.get(f"/admin/otp_totp/totpdevice/{app.pk}/delete/")
    assert confirm.status_code == 200
    recovery = mfa.recovery_device(officer)
    page = admin_client.get(f"/admin/otp_static/staticdevice/{recovery.pk}/delete/").content.decode()
    assert not any(code in page for code in codes)  # the confirmation lists the device, never its codes

    response = admin_client.post(f"/admin/otp_totp/totpdevice/{app.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=officer).exists()
    event = Event.objects.get(kind="two_factor_reset")
    assert event.actor == admin_client.admin and event.object_id == str(officer.pk)
    assert "authenticator app" in event.summary
    assert already_in.get(reverse("home"), follow=True).redirect_chain[-1][0].startswith(reverse("mfa_setup"))

    # The person's next sign-in goes to set-up; an old recovery code does not get round it.
    person = Client()
    password_step(person, officer, next_url="/concerns/")
    response = person.get(reverse("login_code") + "?next=/concerns/")
    assert response["Location"] == reverse("mfa_setup") + "?next=%2Fconcerns%2F"
    response = code_step(person, codes[0])
    assert response["Location"].startswith(reverse("mfa_setup")) and not signed_in(person)

    # Deleting several at once (the list's action) records one reset per device.
    other = UserFactory(username="other", roles=[roles.CONTRACT_OFFICER])
    totp_device(other)
    mfa.new_recovery_codes(other)
    pks = [d.pk for d in StaticDeviceModel.objects.filter(user__in=[officer, other])]
    response = admin_client.post("/admin/otp_static/staticdevice/",
                                 {"action": "delete_selected", "_selected_action": pks, "post": "yes"})
    assert response.status_code == 302 and not StaticDeviceModel.objects.filter(pk__in=pks).exists()
    resets = Event.objects.filter(kind="two_factor_reset", summary__contains="recovery codes")
    assert sorted(e.object_id for e in resets) == sorted([str(officer.pk), str(other.pk)])
    assert all(e.actor == admin_client.admin for e in resets)


def test_a_device_is_deleted_only_with_its_audit_record(admin_client, officer, monkeypatch):
    from accounts import device_admin

    app = totp_device(officer)

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(device_admin, "record", broken)
        with pytest.raises(RuntimeError):
            admin_client.post(f"/admin/otp_totp/totpdevice/{app.pk}/delete/", {"post": "yes"})
    assert TOTPDevice.objects.filter(pk=app.pk).exists()
    # And the other way round: a deletion that fails leaves no record of a reset.
    monkeypatch.setattr(TOTPDevice, "delete", lambda self, *args, **kwargs: broken())
    with pytest.raises(RuntimeError):
        admin_client.post(f"/admin/otp_totp/totpdevice/{app.pk}/delete/", {"post": "yes"})
    assert TOTPDevice.objects.filter(pk=app.pk).exists()
    assert not Event.objects.filter(kind="two_factor_reset").exists()


def test_only_devices_made_by_set_up_are_accepted(client, officer):
    # An app device under another name, or never confirmed by a first code, does not count.
    stray = TOTPDevice.objects.create(user=officer, name="Phone", confirmed=True)
    assert not mfa.has_second_factor(officer) and mfa.confirmed_app(officer) is None
    password_step(client, officer)
    assert client.get(reverse("login_code"))["Location"].startswith(reverse("mfa_setup"))
    assert not mfa.check_code(officer, f"{totp(stray.bin_key):06d}").ok
    stray.delete()

    # Static codes count only on the confirmed "Recovery codes" device that new_recovery_codes() made.
    totp_device(officer)
    backup = StaticDeviceModel.objects.create(user=officer, name="Backup Code", confirmed=True)
    backup.token_set.create(token="backup01")
    unconfirmed = StaticDeviceModel.objects.create(user=officer, name=mfa.RECOVERY_DEVICE_NAME, confirmed=False)
    unconfirmed.token_set.create(token="unconf01")
    for token in ("backup01", "unconf01"):
        totp_device(officer)  # clears the wait after the previous wrong code
        check = mfa.check_code(officer, token)
        assert not check.ok and check.wait_until is None
    assert mfa.recovery_codes_left(officer) == 0
    codes = mfa.new_recovery_codes(officer)
    totp_device(officer)
    assert mfa.check_code(officer, codes[0]).ok


def test_recovery_codes_open_nothing_without_an_app(officer):
    codes = mfa.new_recovery_codes(officer)
    assert not mfa.check_code(officer, codes[0]).ok
    assert mfa.recovery_codes_left(officer) == 10


# --- session limits ---------------------------------------------------------------------------------------------


def age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"last_seen": LAST_SEEN, "signed_in_at": SIGNED_IN_AT}[key]] = now - ago
    session.save()


def test_idle_session_is_signed_out_with_the_reason(client, officer):
    client.force_login(officer)
    assert signed_in(client)
    age_session(client, last_seen=29 * 60)
    assert signed_in(client)  # 29 minutes idle: still signed in, and the clock starts again
    age_session(client, last_seen=30 * 60 + 5)
    response = client.get(reverse("providers:list"))
    assert response["Location"] == reverse("login") + "?next=/providers/"
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not done anything for 30 minutes." in page
    assert not signed_in(client)


def test_idle_limit_is_configurable(client, officer, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client.force_login(officer)
    age_session(client, last_seen=5 * 60 + 1)
    response = client.get(reverse("home"), follow=True)
    assert "had not done anything for 5 minutes" in response.content.decode()


def test_session_ends_after_the_maximum_length_even_when_busy(client, officer):
    client.force_login(officer)
    age_session(client, signed_in_at=10 * 3600 - 60, last_seen=10)
    assert signed_in(client)
    age_session(client, signed_in_at=10 * 3600 + 1, last_seen=10)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "You were signed out because you had been signed in for 10 hours" in page
    assert not signed_in(client)


def test_form_posted_after_the_idle_limit_changes_nothing(client, administrator):
    client.force_login(administrator)
    age_session(client, last_seen=31 * 60)
    response = client.post(reverse("concerns:risk_matrix_new"), matrix_post_data(), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[0] == (reverse("login"), 302)
    assert "had not done anything for 30 minutes. What you entered was not saved." in page
    assert RiskMatrix.current().version == 1


def test_form_posted_after_the_session_ended_says_so_and_changes_nothing(administrator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    page = client.get(reverse("concerns:risk_matrix_new")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    Session.objects.all().delete()  # the session ended on the server (expired, or signed out in another tab)
    response = client.post(reverse("concerns:risk_matrix_new"), matrix_post_data() | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    page = client.get(response["Location"]).content.decode()
    assert ENDED in page
    assert RiskMatrix.current().version == 1
    # Even a form whose CSRF token no longer matches gets the same message, not a CSRF failure page.
    client.force_login(administrator)
    Session.objects.all().delete()
    response = client.post(reverse("concerns:risk_matrix_new"), matrix_post_data() | {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 302 and ENDED in client.get(reverse("login")).content.decode()


def test_csrf_failure_page_is_in_plain_words(officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 403 and ENDED in response.content.decode()
    client.force_login(officer)
    response = client.post(reverse("account_recovery_codes"))
    assert response.status_code == 403 and "This page has expired" in response.content.decode()
    assert "What you entered was not saved" in response.content.decode()


def test_keep_alive_restarts_the_idle_clock_but_asking_does_not(client, officer):
    client.force_login(officer)
    age_session(client, last_seen=20 * 60)
    left = client.get(reverse("keep_alive")).json()["seconds_left"]
    assert 9 * 60 < left <= 10 * 60
    assert 9 * 60 < client.get(reverse("keep_alive")).json()["seconds_left"] <= 10 * 60  # still not reset
    assert client.post(reverse("keep_alive")).json()["seconds_left"] == 30 * 60
    assert client.get(reverse("keep_alive")).json()["seconds_left"] > 29 * 60


def test_pages_tell_the_warning_script_the_timeout(client, officer, settings):
    settings.SESSION_IDLE_MINUTES = 20
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    assert 'data-session-idle-seconds="1200"' in page and 'data-session-warning-seconds="300"' in page
    assert 'role="alertdialog"' in page and "You will be signed out in 5 minutes to protect the data" in page
    assert "js/session-timeout.js" in page
    anonymous = Client().get(reverse("login")).content.decode()
    assert "data-session-idle-seconds" not in anonymous and "session-timeout.js" not in anonymous


def test_session_cookie_ends_when_the_browser_closes(client, officer):
    response = password_step(client, officer)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


# --- lock-out per address ---------------------------------------------------------------------------------------


def test_address_is_locked_after_failures_across_usernames(settings, officer):
    settings.AXES_ENABLED = True
    sprayer = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):  # one try per username: under the per-account limit
        sprayer.post(reverse("login"), {"username": f"user{n}", "password": "Winter2026!"})
    # Below the limit the address still works.
    assert password_step(sprayer, officer)["Location"].startswith(reverse("login_code"))
    sprayer.post(reverse("logout"))
    sprayer.post(reverse("login"), {"username": "someone", "password": "Winter2026!"})
    response = password_step(sprayer, officer)
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "from this network" in page
    # Another address is not affected.
    assert password_step(Client(REMOTE_ADDR="10.0.0.10"), officer)["Location"].startswith(reverse("login_code"))


def test_address_limit_is_configurable_and_username_lock_still_applies(settings, officer, cqm):
    settings.AXES_ENABLED = True
    settings.AXES_IP_FAILURE_LIMIT = 3
    c = Client(REMOTE_ADDR="10.0.0.11")
    for name in ("a", "b", "c"):
        c.post(reverse("login"), {"username": name, "password": "wrong"})
    assert "from this network" in password_step(c, cqm).content.decode()
    settings.AXES_IP_FAILURE_LIMIT = 20
    d = Client(REMOTE_ADDR="10.0.0.12")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        d.post(reverse("login"), {"username": "officer", "password": "wrong"})
    page = password_step(d, officer).content.decode()
    assert "signing in to this account from here is blocked" in page
    assert password_step(d, cqm)["Location"].startswith(reverse("login_code"))


def test_address_behind_proxies_comes_from_the_trusted_hop(settings, officer):
    settings.AXES_ENABLED = True
    settings.AXES_IP_FAILURE_LIMIT = 3
    settings.SIGN_IN_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for name in ("a", "b", "c"):  # the attacker's own X-Forwarded-For entries are ignored
        Client(REMOTE_ADDR=proxy).post(reverse("login"), {"username": name, "password": "wrong"},
                                       HTTP_X_FORWARDED_FOR=f"198.51.100.{len(name) + ord(name)}, 203.0.113.5")
    locked = password_step(Client(REMOTE_ADDR=proxy), officer, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert "from this network" in locked.content.decode()
    other = password_step(Client(REMOTE_ADDR=proxy), officer, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other["Location"].startswith(reverse("login_code"))


# --- the demo -----------------------------------------------------------------------------------------------------


def test_demo_users_get_a_second_factor_and_demo_code_prints_a_working_code(client, settings):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "manage.py demo_code <username>" in printed
    cqm = TOTPDevice.objects.get(user__username="cqm", confirmed=True)
    assert mfa.key_base32(cqm) in printed
    from portal.demo import CONTACTS
    from tools.management.commands.seed_demo import DEMO_USERS

    # every demo user, and each demo provider contact of the providers' portal
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(DEMO_USERS) + len(CONTACTS)

    settings.DEBUG = False
    with pytest.raises(CommandError, match="only works with the local settings"):
        call_command("demo_code", "cqm", stdout=io.StringIO())
    settings.DEBUG = True
    code = io.StringIO()
    call_command("demo_code", "cqm", stdout=code)
    client.post(reverse("login"), {"username": "cqm", "password": "demo-password-2026"})
    assert code_step(client, code.getvalue().strip()).status_code == 302 and signed_in(client)
    # Asked again straight away, it gives a code that has not been used yet.
    again = io.StringIO()
    call_command("demo_code", "cqm", stdout=again, stderr=io.StringIO())
    assert again.getvalue().strip() != code.getvalue().strip()
    other = Client()
    other.post(reverse("login"), {"username": "cqm", "password": "demo-password-2026"})
    assert code_step(other, again.getvalue().strip()).status_code == 302 and signed_in(other)
