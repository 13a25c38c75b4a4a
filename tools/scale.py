"""Synthetic volume for measuring (`seed_demo --scale N`): N=1 adds a little beside the demo, N=100 is a large
council's design volume: 2,000 providers, 250,000 concerns (one provider with 5,000), 500 open cases,
50,000 open deadlines and a million audit events.

The demo's own history goes through the services (tools/management/commands/seed_demo.py); this volume is
written with bulk INSERTs, which is what makes a million rows take minutes rather than hours. Its rows are
coherent enough for the pages and queries that read them (states, dates, clearance flags, one open case per
provider), not a story: every synthetic record says so in its text."""

import datetime
import random
import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from audit.models import Event
from concerns.models import Concern, RiskAssessment, RiskMatrix
from deadlines.models import Deadline
from escalation.models import EscalationCase, Level
from providers.models import Provider

BATCH = 5000
SOURCES = [s for s, _ in Concern.Source.choices]
OPEN = [Concern.State.AWAITING_ROUTING, Concern.State.ON_JQMM_AGENDA]
SERVICE_TYPES = ["Care home", "Care home with nursing", "Home care", "Supported living", "Extra care housing"]
TOWNS = ["Northfield", "Eastbrook", "Westmere", "Southgate", "Kingsley", "Ashby", "Marlow", "Fenwick"]
LEVELS = [Level.QA, Level.PPM, Level.JIMP, Level.SOSG]


def build(n: int, users: dict, out=print, seed: int = 2026) -> dict:
    """Add the volume for scale `n`; returns how many rows of each kind were written."""
    rng = random.Random(seed)  # nosec B311 # spreads synthetic dates and states; nothing secret
    started = time.perf_counter()
    counts = {}
    with transaction.atomic():
        providers = _providers(n, rng)
        counts["providers"] = len(providers)
        out(f"  providers: {len(providers):,} ({time.perf_counter() - started:.0f} s)")
        concerns = _concerns(n, rng, providers, users)
        counts["concerns"] = concerns
        out(f"  concerns: {concerns:,} ({time.perf_counter() - started:.0f} s)")
        counts["risk assessments"] = _assessments(n, rng, users)
        cases = _cases(n, rng, providers, users)
        counts["open cases"] = len(cases)
        counts["open deadlines"] = _deadlines(n, rng, cases)
        out(f"  cases and deadlines ({time.perf_counter() - started:.0f} s)")
        counts["audit events"] = _events(n, rng, users)
        out(f"  audit events: {counts['audit events']:,} ({time.perf_counter() - started:.0f} s)")
        # Every provider's next routine visit, as the nightly job computes it (the visits-due list reads it).
        from intelligence.services import compute_visit_programme

        counts["visit plans"] = compute_visit_programme()["providers"]
        out(f"  visit programme ({time.perf_counter() - started:.0f} s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


def _providers(n, rng) -> list[Provider]:
    start = Provider.objects.count()
    rows = [Provider(cqc_location_id=f"1-9{start + i:09d}", name=f"Synthetic Care {start + i} ({TOWNS[i % 8]})",
                     address=f"{1 + i % 200} High Street", town=TOWNS[i % 8], postcode=f"NF{1 + i % 9} {i % 10}AA",
                     service_types=rng.choice(SERVICE_TYPES), registered_manager=f"Manager {i}")
            for i in range(20 * n)]
    return Provider.objects.bulk_create(rows, batch_size=BATCH)


def _concerns(n, rng, providers, users) -> int:
    today = timezone.localdate()
    busiest = providers[0]
    total, written = 2500 * n, 0
    officers = [users["officer"], users["officer2"], users["cqm"]]
    start = Concern.objects.count()
    while written < total:
        rows = []
        for i in range(written, min(total, written + BATCH)):
            provider = busiest if i < 50 * n else providers[i % len(providers)]
            restricted = i % 50 == 0
            age = rng.randint(0, 1095)
            # Recent ones still being worked; older ones mostly closed with no further action, a fifth taken
            # further (that state stays open: the concern lives on with its case).
            state = (Concern.State.AWAITING_ADVICE if restricted and age < 20 else
                     rng.choice(OPEN) if age < 20 else
                     Concern.State.FURTHER_ACTION if rng.random() < 0.2 else Concern.State.NO_FURTHER_ACTION)
            rows.append(Concern(
                reference=f"CON-S{start + i:07d}", provider=provider, source=SOURCES[i % len(SOURCES)],
                received_on=today - datetime.timedelta(days=age), raised_by="Synthetic volume",
                description="Synthetic concern for measuring: staffing and medication records.",
                people_affected=1 + i % 5, safety_concern=restricted, position_of_trust=False,
                referral_uncertain=False, restricted=restricted, state=state, logged_by=officers[i % 3]))
        Concern.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


def _assessments(n, rng, users) -> int:
    """Every concern taken further was assessed first, and about a third of the rest (about 1,100 per unit of
    scale)."""
    matrix = RiskMatrix.objects.order_by("-version").first()
    synthetic = Concern.objects.filter(reference__startswith="CON-S")
    ids = list(synthetic.filter(state=Concern.State.FURTHER_ACTION).values_list("pk", "provider_id"))
    rest = synthetic.exclude(state=Concern.State.FURTHER_ACTION).values_list("pk", "provider_id")
    ids += [row for row in rest.iterator() if rng.random() < 0.3]
    rows = []
    for concern_id, provider_id in ids:
        engagement, impact = rng.randint(0, 4), rng.randint(0, 5)
        level = matrix.level_for(engagement, impact)
        rows.append(RiskAssessment(provider_id=provider_id, concern_id=concern_id, engagement=engagement,
                                   impact=impact, matrix=matrix, recommended_level=level, level=level,
                                   notes="Synthetic", assessed_by=users["officer"]))
    RiskAssessment.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _cases(n, rng, providers, users) -> list[EscalationCase]:
    start = EscalationCase.objects.count()
    owners = [users["cqm"], users["cqm2"]]
    rows = [EscalationCase(reference=f"CASE-S{start + i:06d}", provider=providers[i], level=LEVELS[i % 4],
                           opening_rationale="Synthetic case for measuring.", owner=owners[i % 2],
                           opened_by=owners[i % 2]) for i in range(min(5 * n, len(providers)))]
    return EscalationCase.objects.bulk_create(rows, batch_size=BATCH)


def _deadlines(n, rng, cases) -> int:
    today = timezone.localdate()
    start = Deadline.objects.count()
    rows = [Deadline(kind=Deadline.Kind.PLAN_ACTION, title="Plan action due (synthetic)", case=case,
                     key=f"synthetic:{start + i}",
                     due_date=today + datetime.timedelta(days=rng.randint(-60, 120)), assignee=case.owner)
            for i in range(500 * n) for case in [cases[i % len(cases)]]]
    Deadline.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _events(n, rng, users) -> int:
    concern_type = ContentType.objects.get_for_model(Concern)
    ids = list(Concern.objects.filter(reference__startswith="CON-S").values_list("pk", "reference"))
    total, written = 10_000 * n, 0
    kinds = ["concern_logged", "concern_routed", "risk_assessed", "jqmm_outcome_recorded"]
    actors = list(users.values())
    while written < total:
        rows = []
        for i in range(written, min(total, written + BATCH)):
            pk, reference = ids[i % len(ids)]
            rows.append(Event(actor=actors[i % len(actors)], kind=kinds[i % 4], content_type=concern_type,
                              object_id=str(pk), object_repr=reference, summary="Synthetic event"))
        Event.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written
