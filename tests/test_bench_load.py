"""The load benchmark (`make bench-load`, `manage.py bench --only load`), small: gunicorn with the production
settings against the test database, a few requests a second for two seconds, one line per page."""

import re
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from tests.conftest import need_service
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.services

PAGES = ["Home, CQM", "Home, officer", "Dashboard, CQM", "Concerns, filtered", "Concerns, searched",
         "Cases, filtered", "Provider register", "Busiest provider", "Busiest case", "Busiest case, plans",
         "Busiest case, decisions", "Placement status",
         "Register of suspensions", "Suggested concerns", "Visits due"]


@pytest.fixture
def demo_people(transactional_db):
    """The two demo users the benchmark signs in as, with a little to show (committed: gunicorn is another
    process)."""
    officer = UserFactory(username="officer", roles=[roles.CONTRACT_OFFICER])
    cqm = UserFactory(username="cqm", roles=[roles.CQM])
    busy = ProviderFactory(name="Synthetic Care 1 (Northfield)")
    quiet = ProviderFactory(name="Quiet House")
    for _ in range(3):
        ConcernFactory(provider=busy, logged_by=officer, source="complaints")
    ConcernFactory(provider=quiet, logged_by=officer)
    case = CaseFactory(provider=busy, owner=cqm, level="ppm")
    return {"officer": officer, "cqm": cqm, "busy": busy, "case": case}


def test_the_load_benchmark_refuses_a_database_below_design_volume(demo_people):
    with pytest.raises(CommandError, match=r"seed_demo --scale 100.*--allow-small-data"):
        call_command("bench", "--only", "load", stdout=StringIO())


def test_make_bench_load_loads_design_volume_into_a_database_that_has_only_the_demo(demo_people, monkeypatch):
    """`make bench-load` passes --load-volume: a database with (almost) nothing gets seed_demo --scale 100 first;
    one scaled already is not scaled a second time."""
    import django.core.management as management

    from tools.management.commands import bench

    calls = []
    monkeypatch.setattr(management, "call_command",
                        lambda name, **kw: calls.append((name, kw)) if name == "seed_demo" else None)
    with pytest.raises(CommandError):  # the stand-in loads nothing, so the volume check still refuses
        call_command("bench", "--only", "load", "--load-volume", stdout=StringIO())
    assert [(name, kw["scale"]) for name, kw in calls] == [("seed_demo", 100)]
    calls.clear()
    monkeypatch.setattr(bench, "DESIGN_VOLUME", {**bench.DESIGN_VOLUME, "concerns": 100})  # as if scaled
    with pytest.raises(CommandError):
        call_command("bench", "--only", "load", "--load-volume", stdout=StringIO())
    assert calls == []


def test_the_load_benchmark_drives_every_page_through_gunicorn(demo_people):
    need_service("PostgreSQL", "127.0.0.1", 5432)
    out = StringIO()
    call_command("bench", "--only", "load", "--allow-small-data", "--seconds", "2", "--rate", str(len(PAGES)),
                 "--workers", "2", stdout=out)
    text = out.getvalue()
    assert f"busiest provider: {demo_people['busy'].pk} " in text
    assert f"busiest case: {demo_people['case'].pk} " in text
    assert "2 workers x 1 thread" in text
    for label in PAGES:
        # label, count, p50, p95, p99, KB, queries, SQL floor, app in-process, verdict
        line = re.search(rf"^{re.escape(label)} +(\d+) +\d+ms +\d+ms +\d+ms +\d+ +(\d+) +\d+ms +\d+ms  (PASS|FAIL)",
                         text, re.M)
        assert line, (label, text)
        assert int(line.group(1)) == 2 and int(line.group(2)) > 0, line.group(0)
    assert f"sent {2 * len(PAGES)} requests" in text and "0 not 200" in text, text
    assert "Traceback" not in text
    assert re.search(rf"^result: \d+ of {len(PAGES)} pages PASS", text, re.M), text
    # It leaves nothing behind: the sessions it signed in with have gone, and no device was added.
    assert not Session.objects.exists()
    assert TOTPDevice.objects.filter(user__in=[demo_people["officer"], demo_people["cqm"]]).count() == 0
