"""`make bench`: performance figures, each beside its floor. Everything runs in a transaction that is rolled
back, so it leaves the database as it found it."""

import datetime
import random
import re
import statistics
import time

from django.core.management.base import BaseCommand
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
    help = "Benchmark the deadline sweep over 50,000 open deadlines against the bare SQL of its query."

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=50_000)
        parser.add_argument("--due", type=int, default=1_000, help="how many of them are due for a reminder")

    def handle(self, *args, deadlines, due, **options):
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        try:
            with transaction.atomic():
                self._sweep_bench(deadlines, due)
                raise Rollback
        except Rollback:
            pass
        try:
            with transaction.atomic():
                self._letter_bench()
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
                               "WHERE status IN %s AND due_date <= %s ORDER BY due_date, id",
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

    @staticmethod
    def _pct(values, pct):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]

    @staticmethod
    def _time(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
