"""`make bench`: performance figures, each beside its floor. Everything runs in a transaction that is rolled
back, so it leaves the database as it found it."""

import datetime
import random
import re
import statistics
import time

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


class Command(BaseCommand):
    help = ("Benchmark the deadline sweep over 50,000 open deadlines against the bare SQL of its query, letter "
            "rendering, and a 20,000-row provider CSV import.")

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=50_000)
        parser.add_argument("--due", type=int, default=1_000, help="how many of them are due for a reminder")
        parser.add_argument("--import-rows", type=int, default=20_000, help="rows in the provider CSV import")
        parser.add_argument("--only", choices=["sweep", "letters", "import", "pages"], help="run only this benchmark")
        parser.add_argument("--runs", type=int, default=10, help="requests per page in the pages benchmark")

    def handle(self, *args, deadlines, due, import_rows, only, runs, **options):
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        benches = {"sweep": lambda: self._sweep_bench(deadlines, due), "letters": self._letter_bench,
                   "import": lambda: self._import_bench(import_rows), "pages": lambda: self._pages_bench(runs)}
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
        from django.conf import settings
        from django.db.models import Count
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from concerns.models import Concern

        if not User.objects.filter(username="officer").exists():
            raise CommandError("The pages benchmark needs the demo data: run seed_demo (with --scale 100) first")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
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
                user = User.objects.get(username=username)
                device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
                    user=user, name="bench", confirmed=True)
                client = Client()
                client.force_login(user)
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
                clients[username] = client
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
    def _pct(values, pct):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]

    @staticmethod
    def _time(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
