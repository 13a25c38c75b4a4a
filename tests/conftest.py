import os
import socket

import pytest

from accounts import roles
from tests.factories import ConcernFactory, JqmmFactory, ProviderFactory, UserFactory, ensure_reference_data

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int):
    """Skip when a service is missing on a developer machine; fail when REQUIRE_SERVICES=1 (CI)."""
    if service_up(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and REQUIRE_SERVICES=1")
    pytest.skip(message)


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def totp_device(user):
    """The user's confirmed authenticator-app device (created if missing), ready to accept a code now:
    its last used time step and throttling are reset, so the same person can sign in twice within 30 seconds."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    device.refresh_from_db()
    return device


def totp_code(user) -> str:
    """A valid security code for the user right now (as their authenticator app would show it)."""
    from django_otp.oath import totp

    device = totp_device(user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


@pytest.fixture(autouse=True)
def force_login_verifies_second_factor(monkeypatch):
    """client.force_login(user) signs in with both factors, as the tests written before two-factor sign-in expect:
    the session is marked as verified by the user's authenticator-app device (created if missing)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def reference_data(request):
    """Roles and matrix v1 are migration data, which transactional tests flush: put them back."""
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("_django_db_helper")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", roles=[roles.CONTRACT_OFFICER])


@pytest.fixture
def cqm(db):
    return UserFactory(username="cqm", roles=[roles.CQM])


@pytest.fixture
def safeguarding_lead(db):
    return UserFactory(username="sglead", roles=[roles.SAFEGUARDING_LEAD])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=[roles.AUDITOR])


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator", roles=[roles.ADMINISTRATOR])


@pytest.fixture
def people(db):
    """One user for each role that takes part in the suspension routes (a module may define its own)."""
    return {
        "cqm": UserFactory(roles=[roles.CQM]),
        "officer": UserFactory(roles=[roles.CONTRACT_OFFICER]),
        "sprg": UserFactory(roles=[roles.SPRG_MEMBER]),
        "dmt": UserFactory(roles=[roles.DMT_MEMBER]),
        "dass": UserFactory(roles=[roles.DASS]),
        "icb": UserFactory(roles=[roles.ICB_COLLEAGUE]),
    }


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def jqmm(db, cqm):
    return JqmmFactory(created_by=cqm)


@pytest.fixture
def concern_factory(db):
    return ConcernFactory


@pytest.fixture(autouse=True)
def form_tokens(monkeypatch):
    """A browser sends back the one-time token each form is drawn with (core.once). Test posts get a fresh
    token for the signed-in person too, unless the test passes its own `form_token` (the tests of the token
    itself do)."""
    from django.contrib.auth import SESSION_KEY, get_user_model
    from django.test import Client

    from core import once

    original = Client.post

    def post(self, path, data=None, *args, **kwargs):
        if isinstance(data, dict) and once.FIELD not in data:
            user_id = self.session.get(SESSION_KEY)
            user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
            data = {**data, once.FIELD: once.issue(user)}
        return original(self, path, data, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)
