"""The production shape: the app as it runs live, tested from outside over HTTP.

The release step (check --deploy, migrate, collectstatic) runs with the production settings into a temporary
STATIC_ROOT; gunicorn (deploy/gunicorn.conf.py) serves the app with DEBUG off against the test database;
Celery workers run with the production settings through Redis and send email to a small SMTP server here.
"""

import datetime
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from concerns.models import Concern
from config.beat_lock import BEAT_LOCK_KEY
from config.storage import OMITTED
from tests.conftest import REQUIRE_SERVICES, need_service
from tests.factories import PASSWORD, CaseFactory, ConcernFactory, ProviderFactory, UserFactory
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
SECRET_KEY = secrets.token_urlsafe(50)  # one for the whole deployment: every machine must share it
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg|png|ico|woff2?|jpe?g|gif)$")

RELEASE_OUTPUT: list[str] = []  # what the release step printed

pytestmark = pytest.mark.services


# ------------------------------------------------------------------------------------------------ helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def production_env(**extra) -> dict:
    """The environment of a production process: only what the production settings ask for."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CELERY_", "DJANGO_", "DATABASE_URL", "EMAIL_", "SITE_URL", "STATIC_ROOT",
                                 "SIGN_IN_PROXY_COUNT"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "https://concerns.example.gov.uk",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/not_used",
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_HOST": "localhost",
        "SIGN_IN_PROXY_COUNT": "0",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> str:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the process stopped:\n{stop(process)[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listening on {port} after {timeout}s:\n{stop(process)[-3000:]}")


def spawn_gunicorn(static_root: Path, **extra) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = production_env(STATIC_ROOT=static_root, DATABASE_URL=database_url(), GUNICORN_BIND=f"127.0.0.1:{port}",
                         **{"WEB_CONCURRENCY": 2, **extra})
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, port


def start_gunicorn(static_root: Path, **extra) -> tuple[subprocess.Popen, int]:
    process, port = spawn_gunicorn(static_root, **extra)
    wait_for_port(port, process)
    return process, port


def set_production_password(user) -> None:
    """The factories hash with MD5 (fast tests); the production settings only accept their own hashers."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)  # few rounds: a quick test
    user.save(update_fields=["password"])


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A minimal HTTP client: a cookie jar shared by every server it talks to (they share one database, so a
    session made on one web process is good on the other), behind a TLS proxy (X-Forwarded-Proto: https)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port, method, path, data=None, headers=None, proxy=True) -> Response:
        h = {"Host": f"127.0.0.1:{port}", "Accept-Encoding": "identity"}
        if proxy:
            h["X-Forwarded-Proto"] = "https"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = f"https://127.0.0.1:{port}"
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body, h)
            r = conn.getresponse()
            response = Response(r.status, r.headers, r.read())
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, port, path, **kwargs) -> Response:
        return self.request(port, "GET", path, **kwargs)

    def post_form(self, port, path, data) -> Response:
        """GET the page, then POST its form as a browser would: its hidden fields (CSRF and one-time tokens)
        plus the answers given."""
        page = self.get(port, path)
        assert page.status == 200, (path, page.status, page.text[-2000:])
        forms = HiddenFields()
        forms.feed(page.text)
        hidden = next(fields for action, fields in forms.forms if action in ("", path))
        return self.request(port, "POST", path, data={**hidden, **data})

    def sign_in(self, port, user) -> None:
        response = self.post_form(port, "/sign-in/", {"username": user.username, "password": PASSWORD})
        assert response.status == 302, response.text[-2000:]
        location = urlsplit(response.headers["Location"]).path
        if location.startswith("/sign-in/code/"):  # the second factor
            from tests.conftest import totp_code

            response = self.post_form(port, location, {"otp_token": totp_code(user)})
            assert response.status == 302, response.text[-2000:]
            location = urlsplit(response.headers["Location"]).path
        assert not location.startswith("/sign-in/"), location
        home = self.get(port, "/")
        assert home.status == 200 and "Sign out" in home.text, home.text[-2000:]


class HiddenFields(HTMLParser):
    """Each form on a page: its action and its hidden fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", {}))
        elif tag == "input" and a.get("type") == "hidden" and a.get("name") and self.forms:
            self.forms[-1][1][a["name"]] = a.get("value") or ""


class Assets(HTMLParser):
    """The stylesheet, script, icon and image URLs an HTML page loads."""

    def __init__(self):
        super().__init__()
        self.urls: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "icon",
                                                                                       "preload", "modulepreload"}:
            self.urls.add(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.urls.add(a["src"])


def referenced_assets(base: str, body: str, content_type: str) -> set[str]:
    """URLs a stylesheet (url(...)) or an ES module (import ... from "...") loads, absolute paths."""
    if "css" in content_type:
        found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", body)
    elif "javascript" in content_type:
        found = re.findall(r"""(?:import|export)\s[^;]*?from\s*["']([^"']+)["']""", body)
        found += re.findall(r"""import\s*["']([^"']+)["']""", body)
    else:
        found = []
    return {urljoin(base, u) for u in found if not u.startswith(("data:", "#"))}


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def released(django_db_setup, django_db_blocker, tmp_path_factory):
    """Run the release step exactly as the release unit does, with a temporary STATIC_ROOT."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    static_root = tmp_path_factory.mktemp("static")
    with django_db_blocker.unblock():
        url = database_url()
    result = subprocess.run([PY, "scripts/release.py"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                            env=production_env(DATABASE_URL=url, STATIC_ROOT=static_root))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (static_root / "staticfiles.json").is_file()
    RELEASE_OUTPUT.append(result.stdout)
    return static_root


@pytest.fixture
def smtp():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def people(transactional_db):
    cqm = UserFactory(username="prod-cqm", roles=[roles.CQM])
    officer = UserFactory(username="prod-officer", roles=[roles.CONTRACT_OFFICER])
    lead = UserFactory(username="prod-lead", roles=[roles.SAFEGUARDING_LEAD], email="lead@example.gov.uk")
    for user in (cqm, officer, lead):
        set_production_password(user)
    return {"cqm": cqm, "officer": officer, "lead": lead}


# ------------------------------------------------------------------------------------------------ tests
def test_production_pages_static_files_and_security_headers(released, people):
    """DEBUG off, gunicorn, WhiteNoise: the main pages answer, every asset they load is hashed, compressed and
    cached for a year, and every page carries the security headers."""
    need_service("Redis", "127.0.0.1", 6379)
    cqm = people["cqm"]
    provider = ProviderFactory(name="Production Check House")
    concern = ConcernFactory(provider=provider, logged_by=people["officer"], safeguarding=True)
    case = CaseFactory(provider=provider, owner=cqm)
    server, port = start_gunicorn(released)
    try:
        browser = Browser()
        plain = browser.get(port, "/sign-in/", proxy=False)
        assert plain.status == 301 and plain.headers["Location"].startswith("https://")

        sign_in_page = browser.get(port, "/sign-in/")
        assert sign_in_page.status == 200
        browser.sign_in(port, cqm)

        pages = ["/", "/providers/", f"/providers/{provider.pk}/", "/concerns/", f"/concerns/{concern.pk}/",
                 "/cases/", f"/cases/{case.pk}/", "/cases/placement-status/", "/cases/placement-status.csv",
                 "/letters/templates/", "/cases/how-the-process-works/"]
        assets: set[str] = set()
        for path in pages:
            page = browser.get(port, path)
            assert page.status == 200, (path, page.status, page.text[-1500:])
            headers = page.headers
            assert "no-store" in headers.get("Cache-Control", ""), (path, headers.get("Cache-Control"))
            assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "same-origin", path
            assert headers["X-Frame-Options"] == "DENY", path
            csp = headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp and "unsafe-inline" not in csp, (path, csp)
            if path.endswith(".csv"):
                assert headers["Content-Type"].startswith("text/csv")
                assert page.text.startswith("provider,cqc_location_id,")
                continue
            # The one CSS rule that loads a file the council build leaves out (the crest) is never used.
            assert "govuk-footer__copyright-logo" not in page.text, path
            parser = Assets()
            parser.feed(page.text)
            assets |= {urljoin(path, u) for u in parser.urls}
        assert concern.reference in browser.get(port, f"/concerns/{concern.pk}/").text
        not_found = browser.get(port, "/no-such-page/")
        assert not_found.status == 404 and "URLconf" not in not_found.text  # DEBUG is off: no debug page
        assert browser.get(port, "/providers/?q=private-search-words").status == 200
        assert browser.get(port, "/deadlines/calendar/not-a-real-calendar-secret.ics").status == 404

        # Every asset a page loads, and everything those load in turn (CSS url(), ES module imports).
        assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets), assets
        seen: set[str] = {f"/static/{name}" for name in OMITTED}
        todo = set(assets)
        while todo:
            url = todo.pop()
            seen.add(url)
            assert url.startswith("/static/"), url
            assert HASHED.search(url), f"{url} is not served under a hashed name"
            response = browser.get(port, url)
            assert response.status == 200, (url, response.status)
            cache = response.headers.get("Cache-Control", "")
            assert "max-age=315360000" in cache and "immutable" in cache, (url, cache)
            todo |= referenced_assets(url, response.text, response.headers.get("Content-Type", "")) - seen
        assert any("govuk-frontend.min" in u and u.endswith(".js") for u in seen), seen  # imported by app.js

        css = next(u for u in seen if "govuk-frontend.min" in u and u.endswith(".css"))
        squeezed = browser.get(port, css, headers={"Accept-Encoding": "gzip"})
        assert squeezed.status == 200 and squeezed.headers.get("Content-Encoding") == "gzip"
    finally:
        log = stop(server, signal.SIGINT)
    assert "Traceback" not in log, log[-3000:]
    assert '"GET /providers/ HTTP/1.1" 200' in log  # the access log has the path...
    assert "private-search-words" not in log  # ...but never the query string
    assert "/deadlines/calendar/[secret].ics" in log and "not-a-real-calendar-secret" not in log


def test_two_web_and_two_worker_processes_share_one_database_and_redis(released, people, smtp):
    """Sign in on one web process, log a concern through the form, see it on the other; the notification it
    queues is handled once, though two workers are listening."""
    need_service("Redis", "127.0.0.1", 6379)
    provider = ProviderFactory(name="Two Machines House")
    queue = f"prod-{uuid.uuid4().hex[:8]}"
    env = {"CELERY_TASK_DEFAULT_QUEUE": queue, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": smtp.server_address[1]}
    workers = [
        subprocess.Popen([str(BIN / "celery"), "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
                          "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"{queue}-{i}@test"],
                         cwd=ROOT, env=production_env(DATABASE_URL=database_url(), **env),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in (1, 2)
    ]
    webs = []
    try:
        webs = [spawn_gunicorn(released, WEB_CONCURRENCY=1, **env) for _ in (1, 2)]
        for process, port in webs:
            wait_for_port(port, process)
        (_, port_a), (_, port_b) = webs
        browser = Browser()
        browser.sign_in(port_a, people["officer"])
        received = timezone.localdate() - datetime.timedelta(days=1)
        response = browser.post_form(port_a, f"/concerns/new/provider/{provider.pk}/", {
            "provider": provider.pk, "source": "safeguarding",
            "received_on_0": received.day, "received_on_1": received.month, "received_on_2": received.year,
            "raised_by": "District nurse", "description": "Bruising found on two residents",
            "people_affected": "2", "care_management_refs": "CM100, CM101", "safety_concern": "True",
            "position_of_trust": "False", "referral_uncertain": "False",
        })
        assert response.status == 302, response.text[-2000:]
        concern = Concern.objects.get(provider=provider)

        # The other web process, the same session cookie: sessions live in the database.
        detail = browser.get(port_b, urlsplit(response.headers["Location"]).path)
        assert detail.status == 200 and concern.reference in detail.text, detail.status
        assert concern.reference in browser.get(port_b, "/concerns/").text

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (Notification.objects.filter(recipient=people["lead"]).exists()
                                                   and smtp.messages):
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.3)
        time.sleep(2)  # room for a duplicate to show up, if there were going to be one
        assert Notification.objects.filter(recipient=people["lead"]).count() == 1
        assert len(smtp.messages) == 1 and b"lead@example.gov.uk" in smtp.messages[0]
        assert concern.reference.encode() in smtp.messages[0]
    finally:
        logs = [stop(w, signal.SIGQUIT) for w in workers]  # cold shutdown: quicker, and the work is done
        for process, _ in webs:
            stop(process, signal.SIGINT)
    succeeded = sum(len(re.findall(r"Task concerns\.tasks\.notify_safeguarding_leads\[[^\]]+\] succeeded", log))
                    for log in logs)
    assert succeeded == 1, [log[-2000:] for log in logs]
    assert all("Traceback" not in log for log in logs), [log[-3000:] for log in logs]


BEAT_LOCK_HELD = """SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                    WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted
                    AND l.classid::bigint = %s AND l.objid::bigint = %s"""


def test_a_second_celery_beat_refuses_to_run(released, transactional_db):
    """Exactly one beat in the deployment: the second one cannot take the lock in PostgreSQL and stops."""
    need_service("Redis", "127.0.0.1", 6379)
    env = production_env(DATABASE_URL=database_url())

    def beat(schedule):
        return subprocess.Popen([str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                                 f"--schedule={schedule}"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    first = beat(released.parent / f"beat-{uuid.uuid4().hex[:6]}-1")
    try:
        deadline = time.monotonic() + 30
        held = False
        with connection.cursor() as cursor:
            while not held and time.monotonic() < deadline:
                assert first.poll() is None, stop(first)[-3000:]
                cursor.execute(BEAT_LOCK_HELD, [BEAT_LOCK_KEY >> 32, BEAT_LOCK_KEY & 0xFFFFFFFF])
                held = cursor.fetchone()[0] == 1
                time.sleep(0.3)
        assert held, "the first beat never took the single-beat lock"
        second = beat(released.parent / f"beat-{uuid.uuid4().hex[:6]}-2")
        second.wait(timeout=30)
        output = stop(second)
        assert second.returncode != 0
        assert "Another Celery beat is already running" in output
        assert first.poll() is None, "the first beat must keep running"
    finally:
        stop(first)


def test_gunicorn_refuses_to_start_before_the_release_step(tmp_path):
    env = production_env(STATIC_ROOT=tmp_path / "empty", GUNICORN_BIND=f"127.0.0.1:{free_port()}")
    result = subprocess.run([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "run the release step first" in result.stdout + result.stderr


SETTINGS_PROBE = """
import json, os, runpy, sys
from django.core.exceptions import ImproperlyConfigured
base = dict(os.environ)
found = {}
for case, change in json.loads(sys.argv[1]).items():
    os.environ.clear()
    os.environ.update(base)
    for name, value in change.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        runpy.run_module("config.settings.production")
        found[case] = "loaded"
    except ImproperlyConfigured as exc:
        found[case] = str(exc)
print(json.dumps(found))
"""
REQUIRED = ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "SITE_URL",
            "SIGN_IN_PROXY_COUNT"]
UNSAFE = {
    "http-site": ({"SITE_URL": "http://concerns.example.gov.uk"}, "SITE_URL must be the https:// address"),
    "sqlite": ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
    "sqla-broker": ({"CELERY_BROKER_URL": "sqla+sqlite:////tmp/b.sqlite"}, "CELERY_BROKER_URL must be a Redis URL"),
    "bad-proxy-header": ({"DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
                         "DJANGO_SECURE_PROXY_SSL_HEADER must be"),
    "bad-proxy-count": ({"SIGN_IN_PROXY_COUNT": "one"}, "SIGN_IN_PROXY_COUNT must be a whole number"),
}


@pytest.fixture(scope="module")
def settings_probe():
    """Load the production settings once per case, in one process (one Python start-up, not ten)."""
    cases = {name: {name: None} for name in REQUIRED} | {case: change for case, (change, _) in UNSAFE.items()}
    cases["complete"] = {}
    result = subprocess.run([PY, "-c", SETTINGS_PROBE, json.dumps(cases)], cwd=ROOT, env=production_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", REQUIRED)
def test_production_settings_stop_at_once_without_a_required_variable(settings_probe, name):
    assert settings_probe[name].startswith(f"Set the {name} environment variable")
    assert settings_probe["complete"] == "loaded"


@pytest.mark.parametrize("case", UNSAFE)
def test_production_settings_refuse_unsafe_values(settings_probe, case):
    assert settings_probe[case].startswith(UNSAFE[case][1]), settings_probe[case]


def test_check_deploy_is_clean_with_the_production_settings_and_not_without_https(released):
    # The release step runs `check --deploy --fail-level WARNING` first, and stops if it reports anything.
    assert "System check identified no issues (1 silenced)." in RELEASE_OUTPUT[-1]
    unsafe = subprocess.run([PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=production_env(DJANGO_SECURE_SSL_REDIRECT="False"), capture_output=True, text=True,
                            timeout=60)
    assert unsafe.returncode != 0 and "security.W008" in unsafe.stderr


def test_seed_demo_refuses_to_run_with_the_production_settings():
    result = subprocess.run([PY, "manage.py", "seed_demo"], cwd=ROOT, env=production_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "seed_demo refuses to run with the production settings" in result.stderr


def test_the_systemd_units_are_valid_and_start_after_the_release_step(tmp_path):
    """systemd-analyze reads the units as systemd would (with this checkout standing in for /opt/...)."""
    units = sorted((ROOT / "deploy" / "systemd").glob("provider-concerns*"))
    names = {unit.name for unit in units}
    assert names == {"provider-concerns.target", "provider-concerns-release.service", "provider-concerns-web.service",
                     "provider-concerns-worker.service", "provider-concerns-beat.service"}
    for unit in units:
        text = unit.read_text()
        if unit.suffix == ".service":
            assert "EnvironmentFile=/etc/provider-concerns/env" in text, unit.name
            assert "DJANGO_SETTINGS_MODULE=config.settings.production" in text, unit.name
        if unit.name in ("provider-concerns-web.service", "provider-concerns-worker.service",
                         "provider-concerns-beat.service"):
            assert "Requires=provider-concerns-release.service" in text, unit.name
            assert "After=provider-concerns-release.service" in text, unit.name
        (tmp_path / unit.name).write_text(text.replace("/opt/provider-concerns", str(ROOT)))
    if not Path("/usr/bin/systemd-analyze").exists():
        if REQUIRE_SERVICES:  # scripts/services.sh installs the systemd package for this check
            pytest.fail("systemd-analyze is not installed and REQUIRE_SERVICES=1")
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(names)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
