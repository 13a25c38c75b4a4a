"""Demo data for intelligence, built through the services (called by `seed_demo` once the providers and the
escalation history exist): CQC ratings with one fall and its suggested concern, two trigger rules, the visit
programme with a visit overdue, a quality audit and an information-sharing meeting with CQC."""

import datetime

from django.utils import timezone

from providers.models import Provider

from . import reference, services
from .models import AuditStandard

RATING_HEAD = "Location ID,Location Name,Location Latest Overall Rating,Publication Date,Safe,Effective,Caring," \
              "Responsive,Well-led\n"


def build(users) -> None:
    admin, cqm, officer = users["admin"], users["cqm"], users["officer"]
    reference.ensure()  # migration data, put back if a test flushed it
    today = timezone.localdate()
    providers = list(Provider.objects.order_by("pk")[:6])
    if len(providers) < 3:
        return
    old, recent = today - datetime.timedelta(days=700), today - datetime.timedelta(days=20)
    rows = []
    for provider in providers:
        rows.append(f"{provider.cqc_location_id},{provider.name},Good,{old:%d/%m/%Y},Good,Good,Good,Good,Good")
    # The second provider's newest rating is worse: the import raises a suggested concern for triage.
    fell = providers[1]
    rows.append(f"{fell.cqc_location_id},{fell.name},Requires improvement,{recent:%d/%m/%Y},Requires improvement,"
                f"Good,Good,Good,Requires improvement")
    rows.append(f"{providers[2].cqc_location_id},{providers[2].name},Outstanding,{recent:%d/%m/%Y},Good,Outstanding,"
                f"Outstanding,Good,Outstanding")
    job = services.start_ratings_import(user=admin, file_name="cqc-care-directory-with-ratings.csv",
                                        content=(RATING_HEAD + "\n".join(rows) + "\n").encode())
    services.run_ratings_import(job_id=job.pk)

    services.save_trigger_rule(user=cqm, rule_id=None, data={
        "name": "Three complaints in 30 days", "kind": "count", "source": "complaints", "threshold": 3,
        "window_days": 30, "min_level": "", "active": True})
    services.save_trigger_rule(user=cqm, rule_id=None, data={
        "name": "Safeguarding at PPM or above", "kind": "at_level", "source": "safeguarding", "threshold": None,
        "window_days": 60, "min_level": "ppm", "active": True})
    services.evaluate_triggers()

    visited = providers[0]
    services.record_visit(user=officer, provider_id=visited.pk, data={
        "visited_on": today - datetime.timedelta(days=400), "visited_by": "Olivia Officer",
        "staffing": "ok", "staffing_notes": "", "safety": "ok", "safety_notes": "",
        "medication": "concern", "medication_notes": "Two medicine records unsigned on the day of the visit.",
        "complaints": "ok", "complaints_notes": "", "records": "not_checked", "records_notes": "",
        "summary": "Medicines audit asked for within a month."})
    # Most other providers had their routine visit in the last few weeks; a few have never been visited.
    for index, provider in enumerate(Provider.objects.exclude(pk=visited.pk).order_by("pk")[3:]):
        services.record_visit(user=officer, provider_id=provider.pk, data={
            "visited_on": today - datetime.timedelta(days=10 + 7 * (index % 6)), "visited_by": "Oscar Owusu",
            **{name: "ok" for name in ("staffing", "safety", "medication", "complaints", "records")},
            **{f"{name}_notes": "" for name in ("staffing", "safety", "medication", "complaints", "records")},
            "summary": ""})
    services.compute_visit_programme()

    standards = list(AuditStandard.objects.order_by("number"))
    if standards:
        ratings = {s.pk: ("requires_improvement" if s.number in (6, 14) else "good") for s in standards}
        services.record_quality_audit(
            user=officer, provider_id=fell.pk, report_date=today - datetime.timedelta(days=30),
            overall="requires_improvement", ratings_by_standard=ratings,
            summary="Medicines and staff training need improvement.")

    services.record_cqc_meeting(user=cqm, meeting_date=today - datetime.timedelta(days=65),
                                attendees="CQC inspection manager\nContracts and Quality Manager",
                                provider_ids=[fell.pk], actions="Share the quality audit with CQC.",
                                minutes="The fall in rating and the council's audit were discussed.")
