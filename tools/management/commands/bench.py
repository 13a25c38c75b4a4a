"""`make bench`: performance figures, each beside its floor. Everything runs in a transaction that is rolled
back, so it leaves the database as it found it; `--only load` (the pages through gunicorn, at a fixed rate) adds
only the sessions it signs in with, and removes them when it ends."""

import datetime
import http.client
import os
import random
import re
import secrets
import socket
import statistics
import subprocess  # nosec B404 # starts collectstatic and gunicorn from this checkout, fixed argv, no shell
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from deadlines.models import Deadline
from deadlines.services import LIVE, sweep
from deadlines.workingdays import add_working_days
from escalation.models import EscalationCase
from providers.models import Provider


class Rollback(Exception):
    pass


# The load benchmark's targets, per page, at design volume.
TARGET_P95 = 0.150
TARGET_P99 = 0.300
TARGET_KB = 150
TARGET_OVER_SQL = 0.030  # p50 within the page's own SQL time plus this
# Design volume (`seed_demo --scale 100`); the load benchmark refuses a smaller database unless told.
DESIGN_VOLUME = {"providers": 2_000, "concerns": 250_000, "open cases": 500, "open deadlines": 50_000}
DECLARE_CURSOR = re.compile(r'^\s*DECLARE\s+"[^"]+"\s+(?:NO\s+SCROLL\s+)?CURSOR\s+WITH(?:OUT)?\s+HOLD\s+FOR\s+', re.I)
SESSIONS_PER_USER = 10  # many people signed in as each role, so no two requests queue on one session row


@dataclass(frozen=True)
class LoadPage:
    label: str
    username: str
    path: str


@dataclass(frozen=True)
class Sample:
    page: LoadPage
    latency: float  # from the moment the request was due to the last byte of the answer
    late: float  # how long after it was due the request was sent
    status: int
    size: int
    error: str = ""


class Command(BaseCommand):
    help = ("Benchmark the deadline sweep over 50,000 open deadlines against the bare SQL of its query, letter "
            "rendering, a 20,000-row provider CSV import and the main pages in-process; with --only load, the main "
            "pages through gunicorn at a fixed rate against a database at design volume.")

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=50_000)
        parser.add_argument("--due", type=int, default=1_000, help="how many of them are due for a reminder")
        parser.add_argument("--import-rows", type=int, default=20_000, help="rows in the provider CSV import")
        parser.add_argument("--only", choices=["sweep", "letters", "import", "pages", "load", "intelligence"],
                            help="run only this benchmark; 'load' (the pages through gunicorn at a fixed rate, at "
                                 "design volume) runs only when asked for")
        parser.add_argument("--runs", type=int, default=10, help="requests per page in the pages benchmark")
        parser.add_argument("--seconds", type=float, default=30, help="how long the load benchmark drives the pages")
        parser.add_argument("--rate", type=float, default=20, help="requests a second in the load benchmark")
        parser.add_argument("--workers", type=int, help="gunicorn workers in the load benchmark (default: as in "
                                                         "deploy/gunicorn.conf.py, 2 x CPUs + 1, at most 8)")
        parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default: as production, 1)")
        parser.add_argument("--allow-small-data", action="store_true",
                            help="let the load benchmark run on a database below design volume (a quick check)")
        parser.add_argument("--load-volume", action="store_true",
                            help="if the database holds only the demo (or nothing), load design volume into it first "
                                 "(seed_demo --scale 100, about 2.5 minutes); `make bench-load` passes this")

    def handle(self, *args, deadlines, due, import_rows, only, runs, seconds, rate, workers, threads,
               allow_small_data, load_volume=False, **options):
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        if only == "load" and load_volume:
            self._load_design_volume()
        if only == "load":
            self._load_bench(seconds=seconds, rate=rate, workers=workers, threads=threads,
                             allow_small_data=allow_small_data)
            return
        benches = {"sweep": lambda: self._sweep_bench(deadlines, due), "letters": self._letter_bench,
                   "import": lambda: self._import_bench(import_rows), "pages": lambda: self._pages_bench(runs),
                   "intelligence": lambda: self._intelligence_bench(import_rows)}
        for name, bench in benches.items():
            if only in (None, name):
                try:
                    with transaction.atomic():
                        bench()
                        raise Rollback
                except Rollback:
                    pass

    def _sweep_bench(self, total, due):
        today = timezone.localdate()
        user = User.objects.create(username=f"bench-{time.time_ns()}", email="bench@example.gov.uk")
        provider = Provider.objects.create(cqc_location_id=f"1-9{time.time_ns() % 10**9:09d}", name="Bench",
                                           address="x", postcode="X1 1XX")
        case = EscalationCase.objects.create(reference=f"BENCH-{time.time_ns() % 10**8}", provider=provider,
                                             owner=user, opened_by=user)
        rng = random.Random(1)  # nosec B311 # spreads benchmark due dates; nothing secret
        rows = [Deadline(key=f"bench:{i}", kind="plan_action", title=f"Bench {i}", case=case, assignee=user,
                         due_date=today + datetime.timedelta(days=rng.randint(30, 400)) if i >= due
                         else today + datetime.timedelta(days=rng.randint(-3, 1)))
                for i in range(total)]
        Deadline.objects.bulk_create(rows, batch_size=5000)
        connection.cursor().execute("ANALYZE deadlines_deadline") if connection.vendor == "postgresql" else None
        horizon = add_working_days(today, 2)

        def floor():
            with connection.cursor() as cursor:
                cursor.execute("SELECT id, due_date, status, assignee_id, case_id FROM deadlines_deadline "
                               "WHERE status IN %s AND NOT sweep_done AND due_date <= %s ORDER BY due_date, id",
                               [tuple(LIVE), horizon])
                return len(cursor.fetchall())

        timings = {}
        for name, fn in [("bare SQL of the sweep's query", floor), ("sweep, first run (sends reminders)", sweep),
                         ("sweep, second run (nothing new to send)", sweep)]:
            start = time.perf_counter()
            result = fn()
            timings[name] = time.perf_counter() - start
            self.stdout.write(f"{name:<45} {timings[name]:7.3f} s   {result}")
        quiet = [self._time(sweep) for _ in range(3)]
        self.stdout.write(f"{'sweep, idle runs (median of 3)':<45} {statistics.median(quiet):7.3f} s")
        self.stdout.write(f"open deadlines: {total:,}, due for a reminder: {due:,}; target: sweep <= 5 s")

    def _letter_bench(self, runs: int = 20):
        """Letter render p50/p95 for a 1-page and a 3-page letter, beside bare WeasyPrint on the same HTML."""
        from weasyprint import HTML

        from escalation.models import ActionPlan, PlanAction
        from letters.models import Letter, LetterTemplate
        from letters.rendering import LetterAssetFetcher, render_html, render_pdf

        today = timezone.localdate()
        user = User.objects.create(username=f"bench-l-{time.time_ns()}")
        provider = Provider.objects.create(cqc_location_id=f"1-8{time.time_ns() % 10**9:09d}", name="Bench Lodge",
                                           address="1 Bench Road, Northfield", postcode="NF1 1AA",
                                           registered_manager="Bea Bench")
        case = EscalationCase.objects.create(reference=f"BL-{time.time_ns() % 10**8}", provider=provider,
                                             owner=user, opened_by=user, level="sosg")
        render_pdf(render_html(Letter(reference="WARM", case=case, kind="at_risk", addressee="x", free_text="x"),
                               LetterTemplate.latest("at_risk")))  # warm up fonts
        cases = [("at-risk letter", "at_risk", 0), ("suspension letter with its plan", "suspension", 22)]
        for label, kind, actions in cases:
            if actions:
                plan = ActionPlan.objects.create(case=case, level="sosg", kind="improvement", start_date=today,
                                                 review_date=today, created_by=user)
                PlanAction.objects.bulk_create([PlanAction(plan=plan, area_of_concern=f"Area {i}",
                                                           action="Make and evidence the improvement " * 3,
                                                           owner="provider", due_date=today) for i in range(actions)])
            letter = Letter(reference="LET-BENCH", case=case, kind=kind, addressee="Bea Bench\nBench Lodge\nNF1 1AA",
                            free_text="Concerns about staffing and medication. " * 6)
            template = LetterTemplate.latest(kind)
            full, bare, pages = [], [], 0
            for _ in range(runs):
                start = time.perf_counter()
                document = render_html(letter, template)
                pdf = render_pdf(document)
                full.append(time.perf_counter() - start)
                start = time.perf_counter()
                HTML(string=document, url_fetcher=LetterAssetFetcher()).write_pdf()  # letters never fetch (ADR 0018)
                bare.append(time.perf_counter() - start)
            pages = self._pages(pdf)
            self.stdout.write(f"{label} ({pages} page{'s' if pages != 1 else ''}):\n"
                              f"    p50 {self._pct(full, 50):.3f} s  p95 {self._pct(full, 95):.3f} s   "
                              f"floor (bare WeasyPrint, same HTML) p50 {self._pct(bare, 50):.3f} s  "
                              f"p95 {self._pct(bare, 95):.3f} s   target p95 <= 0.5 s")

    def _import_bench(self, rows: int):
        """A provider CSV import of `rows` rows, as its Celery task runs it (check every row, then save all or
        nothing): a quarter of the rows change providers already on the register, a quarter match them exactly,
        half are new."""
        from django.contrib.auth.models import Group

        from accounts import roles
        from providers import importer, services

        user = User.objects.create(username=f"bench-i-{time.time_ns()}")
        user.groups.add(Group.objects.get_or_create(name=roles.ADMINISTRATOR)[0])
        base = 800_000_000 + time.time_ns() % 10**8

        def row(i, name):
            return (f"1-{base + i}", name, f"{i} Bench Road, Northfield", f"NF{i % 9 + 1} {i % 10}AB",
                    "Residential homes", f"Manager {i}")

        on_register = [row(i, f"Bench Home {i}" if i % 4 else f"Old name {i}") for i in range(0, rows, 2)]
        Provider.objects.bulk_create([Provider(cqc_location_id=r[0], name=r[1], address=r[2], town="Northfield",
                                               postcode=r[3], service_types=r[4], registered_manager=r[5])
                                      for r in on_register], batch_size=5000)
        lines = ["CQC Location ID (for office use only),Name,Address,Postcode,Service types,Registered manager"]
        lines += [",".join(f'"{cell}"' for cell in row(i, f"Bench Home {i}")) for i in range(rows)]
        content = ("\n".join(lines) + "\n").encode()
        checked = []
        real_parse = importer.parse

        def parse(raw, progress=None, every=1000):
            def mark(done, total):
                progress(done, total)
                if done == total:
                    checked.append(time.perf_counter())
            return real_parse(raw, progress=mark, every=every)

        importer.parse = parse  # the same function, timed where the row checks end
        try:
            start = time.perf_counter()
            job = services.start_import(user=user, file_name="bench.csv", content=content)
            uploaded = time.perf_counter()
            job = services.run_import(job_id=job.pk)
            end = time.perf_counter()
        finally:
            importer.parse = real_parse
        if job.status != job.Status.DONE:
            raise CommandError(f"The benchmark import did not finish: {job.failure or job.row_errors[:3]}")
        self.stdout.write(f"provider CSV import, {rows:,} rows ({len(content) / 2**20:.1f} MB): "
                          f"{job.created:,} added, {job.updated:,} updated, {job.unchanged:,} unchanged\n"
                          f"    upload checks {uploaded - start:.2f} s   check every row {checked[-1] - uploaded:.2f} s"
                          f"   save {end - checked[-1]:.2f} s   total {end - start:.2f} s   target <= 30 s")

    def _intelligence_bench(self, rows: int):
        """A CQC ratings import of `rows` rows (half the locations with an earlier rating, a quarter of those now
        worse: suggestions raised), the same file again (all unchanged), and the visit programme for the register."""
        from django.contrib.auth.models import Group

        from accounts import roles
        from intelligence import services as intelligence_services

        user = User.objects.create(username=f"bench-r-{time.time_ns()}")
        user.groups.add(Group.objects.get_or_create(name=roles.CQM)[0])
        base = 700_000_000 + time.time_ns() % 10**8
        Provider.objects.bulk_create([Provider(cqc_location_id=f"1-{base + i}", name=f"Ratings Home {i}",
                                               address=f"{i} Bench Road", postcode="NF1 1AB") for i in range(rows)],
                                     batch_size=5000)
        head = "Location ID,Location Latest Overall Rating,Publication Date,Safe\n"
        words = ["Outstanding", "Good", "Requires improvement", "Inadequate"]

        def run(text):
            start = time.perf_counter()
            job = intelligence_services.start_ratings_import(user=user, file_name="bench.csv", content=text.encode())
            job = intelligence_services.run_ratings_import(job_id=job.pk)
            if job.status != job.Status.DONE:
                raise CommandError(f"The ratings benchmark import did not finish: {job.failure or job.row_errors[:3]}")
            return job, time.perf_counter() - start

        run(head + "".join(f"1-{base + i},Good,01/01/2024,Good\n" for i in range(0, rows, 2)))
        text = head + "".join(f"1-{base + i},{words[i % 4]},02/02/2026,Good\n" for i in range(rows))
        job, first = run(text)
        again, second = run(text)
        start = time.perf_counter()
        counts = intelligence_services.compute_visit_programme()
        programme = time.perf_counter() - start
        start = time.perf_counter()
        repeat = intelligence_services.compute_visit_programme()
        programme_again = time.perf_counter() - start
        self.stdout.write(f"CQC ratings import, {rows:,} rows: {job.added:,} added, {job.drops:,} falls suggested, "
                          f"{first:.2f} s (target < 60 s); again: {again.unchanged:,} unchanged, {second:.2f} s\n"
                          f"    visit programme for {counts['providers']:,} providers: {counts['changed']:,} rows "
                          f"{programme:.2f} s; again {repeat['changed']:,} changed {programme_again:.2f} s "
                          f"(target < 5 s)")

    @staticmethod
    def _pages(pdf: bytes) -> int:
        import subprocess  # nosec B404 # runs pdfinfo on a PDF this command made
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            info = subprocess.run(  # nosec B603 B607 # fixed argv, no shell; pdfinfo from poppler-utils on PATH
                ["pdfinfo", handle.name], capture_output=True, text=True).stdout
        match = re.search(r"^Pages:\s+(\d+)", info, re.M)
        return int(match.group(1)) if match else 0

    def _pages_bench(self, runs: int):
        """The pages people start their day on, at whatever volume the database holds (`seed_demo --scale 100`
        for design volume): p50/p95 of the whole request in-process (Django's test client: no web server), its
        queries and their time, and the size. Needs the demo users."""
        from django.db.models import Count
        from django.test.utils import CaptureQueriesContext

        from concerns.models import Concern

        if not User.objects.filter(username="officer").exists():
            raise CommandError("The pages benchmark needs the demo data: run seed_demo (with --scale 100) first")
        busiest = (Concern.objects.values("provider").annotate(n=Count("pk")).order_by("-n").first() or {}).get(
            "provider")
        case = EscalationCase.objects.order_by("-pk").first()
        pages = [("officer", "/"), ("cqm", "/"), ("sprg", "/"), ("officer", "/concerns/"), ("officer", "/providers/"),
                 ("officer", f"/providers/{busiest}/"), ("cqm", "/cases/"), ("cqm", f"/cases/{case.pk}/"),
                 ("officer", "/concerns/jqmm/"), ("officer", "/cases/placement-status/"),
                 ("officer", "/dashboard/"), ("cqm", "/dashboard/"), ("cqm", "/cases/?quiet=30"),
                 ("cqm", "/my-deadlines/?scope=all&when=overdue"),
                 ("officer", "/concerns/?q=synthetic+care+1"), ("officer", "/concerns/?source=complaints&page=100")]
        clients = {}
        self.stdout.write(f"{'page':<38} {'p50':>7} {'p95':>7} {'queries':>8} {'SQL p50':>8} {'KB':>6}")
        for username, path in pages:
            if username not in clients:
                clients[username] = self._signed_in_client(username)
            client = clients[username]
            totals, sql, size, queries = [], [], 0, 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(path)
                    totals.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise CommandError(f"{path} answered {response.status_code} for {username}")
                sql.append(sum(float(q["time"]) for q in captured.captured_queries))
                size, queries = len(response.content), len(captured.captured_queries)
            self.stdout.write(f"{username + ' ' + path:<38} {statistics.median(totals) * 1000:6.0f}ms "
                              f"{self._pct(totals, 95) * 1000:6.0f}ms {queries:>8} "
                              f"{statistics.median(sql) * 1000:6.0f}ms {size / 1024:6.0f}")

    @staticmethod
    def _signed_in_client(username: str):
        """Django's test client (no web server) signed in as the demo user, with both factors."""
        from django.conf import settings
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user = User.objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="bench", confirmed=True)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    # ------------------------------------------------------------------------------------------ load benchmark
    def _load_bench(self, *, seconds: float, rate: float, workers: int | None, threads: int | None,
                    allow_small_data: bool):
        """The main pages through the real application server, as production runs it (gunicorn with
        deploy/gunicorn.conf.py, the production settings, persistent database connections), at a fixed rate for a
        fixed time, open loop: each request starts when it is due, whether or not the ones before it have
        answered, so a slow page makes the ones behind it wait as it would for real people. Each page's p50/p95/p99
        is printed beside its own SQL run alone (the floor), the page in-process, its query count and its size,
        with PASS/FAIL against the targets. Needs the demo users, and design volume unless --allow-small-data."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if rate <= 0 or seconds <= 0:
            raise CommandError("--rate and --seconds must be more than 0")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.is_file():
            raise CommandError(f"{gunicorn} is missing: install the project's dependencies (make venv)")
        self._check_volume(allow_small_data)
        pages = self._load_pages()
        floors = {}
        try:
            with transaction.atomic():  # the in-process requests save their sessions: leave nothing behind
                clients = {}
                for page in pages:
                    if page.username not in clients:
                        clients[page.username] = self._signed_in_client(page.username)
                    floors[page] = self._sql_floor(clients[page.username], page)
                raise Rollback
        except Rollback:
            pass

        workers = workers or min(2 * (os.cpu_count() or 1) + 1, 8)  # deploy/gunicorn.conf.py's default
        threads = threads or 1
        secret_key = secrets.token_urlsafe(50)  # the server's own; the sessions below are signed with it
        port = self._free_port()
        made_devices: list[int] = []
        session_keys: list[str] = []
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
            env = self._production_env(secret_key=secret_key, static_root=Path(tmp) / "static", port=port,
                                       workers=workers, threads=threads)
            self.stdout.write("release: collectstatic with the production settings ...")
            self._run_checked([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
            log_path = Path(tmp) / "gunicorn.log"
            try:
                cookies = self._server_sessions(pages, secret_key, made_devices, session_keys)
                with log_path.open("w") as log:
                    server = subprocess.Popen(  # nosec B603 # fixed argv from this venv, no shell
                        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"], cwd=self._root(), env=env, stdout=log,
                        stderr=subprocess.STDOUT)
                try:
                    self._wait_for_port(port, server, log_path)
                    self._warm_up(port, pages, cookies, workers * threads)
                    idle_before = self._cpu_times()
                    time.sleep(1)
                    background = self._cpu_busy(idle_before, self._cpu_times())
                    cpu_before = self._cpu_times()
                    self.stdout.write(f"driving {rate:g} requests/s for {seconds:g} s ...")
                    samples, (last_due, last_answer) = self._drive(port, pages, cookies, rate, seconds)
                    cpu = self._cpu_busy(cpu_before, self._cpu_times())
                finally:
                    self._stop(server)
            finally:
                self._end_sessions(session_keys)
                TOTPDevice.objects.filter(pk__in=made_devices).delete()
            log_text = log_path.read_text(errors="replace")
        self._load_report(pages, floors, samples, behind=last_answer - last_due, rate=rate, seconds=seconds,
                          workers=workers, threads=threads, cpu=cpu, background=background, log_text=log_text)

    def _load_design_volume(self) -> None:
        """Design volume, loaded once: a database with less than a hundredth of it (nothing, or the demo) gets
        `seed_demo --scale 100`; one that has been scaled already is left as it is (the volume check says if it
        is short), since scaling again would add a second design volume."""
        from django.core.management import call_command

        from concerns.models import Concern

        if Concern.objects.count() >= DESIGN_VOLUME["concerns"] // 100:
            return
        self.stdout.write("loading design volume: seed_demo --scale 100 (about 2.5 minutes) ...")
        call_command("seed_demo", scale=100, stdout=self.stdout)

    def _check_volume(self, allow_small_data: bool) -> None:
        from concerns.models import Concern

        found = {"providers": Provider.objects.count(), "concerns": Concern.objects.count(),
                 "open cases": EscalationCase.objects.open().count(),
                 "open deadlines": Deadline.objects.filter(status__in=LIVE).count()}
        self.stdout.write("volume: " + ", ".join(f"{n:,} {name}" for name, n in found.items()))
        short = [name for name, n in found.items() if n < DESIGN_VOLUME[name]]
        if short and not allow_small_data:
            raise CommandError(
                "The load benchmark measures the pages at design volume, and this database is below it: "
                + "; ".join(f"{found[name]:,} {name} (design volume: {DESIGN_VOLUME[name]:,})" for name in short)
                + ". Run `manage.py seed_demo --scale 100` against it first (see docs/performance.md), "
                "or pass --allow-small-data for a quick run at the volume it has.")
        missing = {"officer", "cqm"} - set(User.objects.filter(username__in=["officer", "cqm"])
                                           .values_list("username", flat=True))
        if missing:
            raise CommandError(f"The load benchmark signs in as the demo users, and {', '.join(sorted(missing))} "
                               "is missing: run seed_demo (with --scale 100) first")

    def _load_pages(self) -> list[LoadPage]:
        """The pages people use most, each as the demo user who uses it; the provider and the case are the ones
        the most rows point at."""
        provider, provider_rows = self._busiest(Provider)
        case, case_rows = self._busiest(EscalationCase)
        cqm = User.objects.get(username="cqm")
        if provider is None or case is None:
            raise CommandError("The load benchmark needs at least one provider and one case: run seed_demo first")
        self.stdout.write(f"busiest provider: {provider.pk} ({provider_rows:,} rows point at it); "
                          f"busiest case: {case.pk} {case.reference} ({case_rows:,} rows)")
        return [
            LoadPage("Home, CQM", "cqm", "/"),
            LoadPage("Home, officer", "officer", "/"),
            LoadPage("Dashboard, CQM", "cqm", "/dashboard/"),
            LoadPage("Concerns, filtered", "officer", "/concerns/?state=further_action&source=complaints"),
            LoadPage("Concerns, searched", "officer", "/concerns/?q=synthetic+care+1"),
            LoadPage("Cases, filtered", "cqm", f"/cases/?status=open&level=ppm&owner={cqm.pk}"),
            LoadPage("Provider register", "officer", "/providers/"),
            LoadPage("Busiest provider", "officer", f"/providers/{provider.pk}/"),
            LoadPage("Busiest case", "cqm", f"/cases/{case.pk}/"),
            LoadPage("Busiest case, plans", "cqm", f"/cases/{case.pk}/plans/"),
            LoadPage("Busiest case, decisions", "cqm", f"/cases/{case.pk}/decisions/"),
            LoadPage("Placement status", "officer", "/cases/placement-status/"),
            LoadPage("Register of suspensions", "cqm", "/placements/register/"),
            LoadPage("Suggested concerns", "officer", "/intelligence/suggestions/"),
            LoadPage("Visits due", "officer", "/intelligence/visits/"),
        ]

    @staticmethod
    def _busiest(model):
        """The row of `model` that the most rows point at (every table with a foreign key to it, and its audit
        events), and how many."""
        from collections import Counter

        from django.contrib.contenttypes.models import ContentType
        from django.db.models import Count

        from audit.models import Event

        counts: Counter = Counter()
        for relation in model._meta.related_objects:
            if relation.one_to_many:
                name = relation.field.name
                rows = (relation.related_model._base_manager.filter(**{f"{name}__isnull": False}).order_by()
                        .values(name).annotate(n=Count("pk")))
                for row in rows:
                    counts[row[name]] += row["n"]
        events = (Event.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by()
                  .values("object_id").annotate(n=Count("pk")))
        for row in events:
            if row["object_id"].isdigit():
                counts[int(row["object_id"])] += row["n"]
        if not counts:
            return model.objects.order_by("pk").first(), 0
        pk, n = max(counts.items(), key=lambda item: (item[1], -item[0]))
        return model.objects.get(pk=pk), n

    @staticmethod
    def _sql_floor(client, page: LoadPage, repeats: int = 5) -> tuple[int, float, float, int]:
        """The page's own SQL alone: the page requested in-process (once to warm, once captured), then its
        statements run again exactly as they were sent, with nothing else; the median of `repeats`. Returns the
        query count (savepoints included, as Django counts them), that time, the median of `repeats` whole
        requests in-process (Django's test client: the app's own time, no server, no other load) and the page's
        size."""
        from django.test.utils import CaptureQueriesContext

        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        if response.status_code != 200:
            raise CommandError(f"{page.path} answered {response.status_code} for {page.username}")
        queries = list(captured.captured_queries)  # a copy: the next request through the client clears the log
        app = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.get(page.path)
            app.append(time.perf_counter() - start)
        # Savepoints are left out; a server-side cursor (QuerySet.iterator()) is read as its plain SELECT, since
        # its FETCHes are not captured.
        statements = [DECLARE_CURSOR.sub("", q["sql"]) for q in queries
                      if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", q["sql"], re.I)]
        timings = []
        with connection.cursor() as cursor:
            for _ in range(repeats):
                start = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)  # no parameters: the statement as it was sent
                    if cursor.description:
                        cursor.fetchall()
                timings.append(time.perf_counter() - start)
        return len(queries), statistics.median(timings), statistics.median(app), len(response.content)

    @staticmethod
    def _root() -> Path:
        from django.conf import settings

        return Path(settings.BASE_DIR)

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    @staticmethod
    def _production_env(*, secret_key: str, static_root: Path, port: int, workers: int, threads: int) -> dict:
        """The environment of a production web process (only what the production settings ask for), against this
        command's database. Connections persist (DJANGO_CONN_MAX_AGE is left at the production default)."""
        from urllib.parse import quote

        from django.conf import settings

        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        url = (f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}:"
               f"{db['PORT'] or 5432}/{db['NAME']}")
        broker = str(getattr(settings, "CELERY_BROKER_URL", ""))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CELERY_", "DJANGO_", "DATABASE_URL", "EMAIL_", "SITE_URL", "STATIC_ROOT",
                                    "SIGN_IN_PROXY_COUNT", "GUNICORN_", "WEB_CONCURRENCY"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "https://concerns.example.gov.uk",
            "DATABASE_URL": url,
            # Pages that are only read publish nothing; a Redis URL is all the settings need.
            "CELERY_BROKER_URL": broker if broker.startswith(("redis://", "rediss://")) else "redis://127.0.0.1:6379/15",
            "EMAIL_HOST": "localhost",
            "SIGN_IN_PROXY_COUNT": "0",
            "STATIC_ROOT": str(static_root),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def _run_checked(self, argv: list[str], env: dict) -> None:
        options = {"cwd": self._root(), "env": env, "capture_output": True, "text": True, "timeout": 600}
        result = subprocess.run(argv, **options)  # nosec B603 # fixed argv from this command, no shell
        if result.returncode != 0:
            raise CommandError(f"{' '.join(argv[1:])} failed:\n{(result.stdout + result.stderr)[-3000:]}")

    def _server_sessions(self, pages, secret_key: str, made_devices: list, session_keys: list) -> dict:
        """SESSIONS_PER_USER sessions for each user the pages are requested as, saved as the sign-in pages leave
        them (password and security code both done) and signed with the server's secret key. Only the sessions
        are added (and an authenticator-app device for a user who has none); the caller removes them."""
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.test.utils import override_settings
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.middleware import LAST_SEEN, SIGNED_IN_AT

        store = import_module(settings.SESSION_ENGINE).SessionStore
        cookies: dict[str, list[str]] = {}
        for username in dict.fromkeys(page.username for page in pages):
            user = User.objects.get(username=username)
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
                made_devices.append(device.pk)
            cookies[username] = []
            with override_settings(SECRET_KEY=secret_key):
                for _ in range(SESSIONS_PER_USER):
                    now = time.time()
                    session = store()
                    session.update({SESSION_KEY: user._meta.pk.value_to_string(user),
                                    BACKEND_SESSION_KEY: "accounts.backends.ModelBackend",
                                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                                    DEVICE_ID_SESSION_KEY: device.persistent_id, SIGNED_IN_AT: now, LAST_SEEN: now})
                    session.create()
                    session_keys.append(session.session_key)
                    cookies[username].append(session.session_key)
        return cookies

    @staticmethod
    def _end_sessions(session_keys: list[str]) -> None:
        from importlib import import_module

        from django.conf import settings

        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in session_keys:
            store(session_key=key).delete()

    @staticmethod
    def _wait_for_port(port: int, server: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn stopped:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"gunicorn was not listening on {port} after {timeout:g} s")

    @staticmethod
    def _stop(server: subprocess.Popen) -> None:
        if server.poll() is None:
            server.terminate()  # graceful: workers finish what they are doing
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    @staticmethod
    def _get(port: int, path: str, session_key: str) -> tuple[int, bytes]:
        """One GET, as from behind the TLS proxy (gunicorn believes X-Forwarded-Proto from 127.0.0.1). The
        session cookie is Secure in production; a client setting the header itself sends it over plain HTTP."""
        from django.conf import settings

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https",
                                               "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
                                               "Accept-Encoding": "identity"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _warm_up(self, port: int, pages, cookies, concurrency: int) -> None:
        """Every page, `concurrency` at a time, so each worker has its database connection and has drawn each
        page once before the clock starts."""
        jobs = [(page, cookies[page.username][i % SESSIONS_PER_USER]) for i in range(concurrency) for page in pages]
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            answers = pool.map(lambda job: self._get(port, job[0].path, job[1]), jobs)
            for (page, _), (status, _body) in zip(jobs, answers, strict=True):
                if status != 200:
                    raise CommandError(f"{page.path} answered {status} through gunicorn for {page.username}")

    def _drive(self, port: int, pages, cookies, rate: float, seconds: float):
        """Open loop: request i is due at start + i / rate, and is sent then by a free thread of a large pool,
        whatever the earlier ones are doing. Each time is measured from when the request was due, so time spent
        waiting for a thread (if the server falls behind) counts too. Returns the samples, and when the last
        request was due and when its answer (the last of all) came."""
        total = max(1, round(rate * seconds))

        def fetch(due: float, page: LoadPage, session_key: str) -> Sample:
            late = time.perf_counter() - due
            try:
                status, body = self._get(port, page.path, session_key)
            except (OSError, http.client.HTTPException) as exc:
                return Sample(page, time.perf_counter() - due, late, 0, 0, f"{type(exc).__name__}: {exc}")
            return Sample(page, time.perf_counter() - due, late, status, len(body))

        futures = []
        with ThreadPoolExecutor(max_workers=64, thread_name_prefix="bench-load") as pool:
            start = time.perf_counter() + 0.1
            for i in range(total):
                due = start + i / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                page = pages[i % len(pages)]
                session_key = cookies[page.username][(i // len(pages)) % SESSIONS_PER_USER]
                futures.append(pool.submit(fetch, due, page, session_key))
            samples = [future.result() for future in futures]
        return samples, (start + (total - 1) / rate, time.perf_counter())

    @staticmethod
    def _cpu_times() -> list[int] | None:
        try:
            with open("/proc/stat") as stat:
                return [int(n) for n in stat.readline().split()[1:]]
        except OSError:
            return None

    @staticmethod
    def _cpu_busy(before, after) -> float | None:
        if not before or not after:
            return None
        spent = [b - a for a, b in zip(before, after, strict=True)]
        idle = spent[3] + (spent[4] if len(spent) > 4 else 0)  # idle + iowait
        return 1 - idle / sum(spent) if sum(spent) else None

    def _load_report(self, pages, floors, samples, *, behind, rate, seconds, workers, threads, cpu, background,
                     log_text):
        self.stdout.write(
            f"\ngunicorn with deploy/gunicorn.conf.py and the production settings (DEBUG off, CONN_MAX_AGE at its "
            f"production default): {workers} worker{'s' if workers != 1 else ''} x {threads} "
            f"thread{'s' if threads != 1 else ''}, on {os.cpu_count()} CPUs shared with PostgreSQL and this client")
        self.stdout.write(
            f"open loop: {rate:g} requests/s for {seconds:g} s, the pages in turn; times run from when each request "
            f"was due to its last byte. SQL = the page's own statements run alone; app = the whole page in-process "
            f"(Django's test client, no server, no load); both medians of 5.")
        self.stdout.write(f"targets: p95 <= {TARGET_P95 * 1000:.0f} ms, p99 <= {TARGET_P99 * 1000:.0f} ms, "
                          f"page <= {TARGET_KB} KB, p50 <= SQL + {TARGET_OVER_SQL * 1000:.0f} ms\n")
        self.stdout.write(f"{'page':<22} {'count':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'KB':>5} {'queries':>7} "
                          f"{'SQL':>7} {'app':>7}  result")
        failed = []
        for page in pages:
            mine = [s for s in samples if s.page == page]
            ok = [s.latency for s in mine if s.status == 200 and not s.error]
            errors = len(mine) - len(ok)
            queries, floor, app, floor_size = floors[page]
            size = max((s.size for s in mine if s.status == 200), default=floor_size)
            p50, p95, p99 = (self._pct(ok, pct) if ok else float("inf") for pct in (50, 95, 99))
            misses = [name for name, missed in [
                (f"{errors} errors", errors), ("p95", p95 > TARGET_P95), ("p99", p99 > TARGET_P99),
                ("size", size / 1024 > TARGET_KB), ("p50 over SQL + 30 ms", p50 > floor + TARGET_OVER_SQL)] if missed]
            if misses:
                failed.append(page.label)
            self.stdout.write(f"{page.label:<22} {len(mine):>5} {p50 * 1000:5.0f}ms {p95 * 1000:5.0f}ms "
                              f"{p99 * 1000:5.0f}ms {size / 1024:5.0f} {queries:>7} {floor * 1000:5.0f}ms "
                              f"{app * 1000:5.0f}ms  "
                              + (f"FAIL ({', '.join(misses)})" if misses else "PASS"))
        late = max((s.late for s in samples), default=0)
        errors = [s for s in samples if s.status != 200 or s.error]
        self.stdout.write(
            f"\nsent {len(samples):,} requests (the latest left {late * 1000:.0f} ms after it was due); "
            f"{len(errors)} not 200; the last answer came {behind:.2f} s after the last request was due"
            + (f"; CPU busy {cpu:.0%} of {os.cpu_count()} CPUs" if cpu is not None else ""))
        if background is not None:
            self.stdout.write(f"CPU busy in the second before the run, with the server idle: {background:.0%}"
                              + (" (something else is running: these figures are not the app's alone)"
                                 if background > 0.1 else ""))
        for sample in errors[:5]:
            self.stdout.write(f"    {sample.page.path}: {sample.status} {sample.error}")
        if "Traceback" in log_text:
            self.stdout.write("gunicorn's log has a traceback:\n" + log_text[log_text.index("Traceback"):][:3000])
        self.stdout.write(f"result: {len(pages) - len(failed)} of {len(pages)} pages PASS"
                          + (f"; FAIL: {', '.join(failed)}" if failed else ""))

    @staticmethod
    def _pct(values, pct):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]

    @staticmethod
    def _time(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
