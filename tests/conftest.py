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
def provider(db):
    return ProviderFactory()


@pytest.fixture
def jqmm(db, cqm):
    return JqmmFactory(created_by=cqm)


@pytest.fixture
def concern_factory(db):
    return ConcernFactory
