"""Every action on intelligence: one function per action. Each checks permission (core.rules.require), locks what
it changes before reading it, writes the audit event in the same transaction and queues side effects through the
outbox (docs/process.md, "Intelligence"; ADR 0030)."""

import datetime
import logging
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from audit.services import record, record_many
from concerns import services as concern_services
from concerns.models import Concern, RiskAssessment, RiskLevel
from core import outbox
from core.dates import long_date
from core.evidence import atomic_with_files
from core.rules import require
from escalation.models import LADDER, EscalationCase
from providers.models import Provider

from . import permissions as perms
from . import ratings, reference, tasks
from .models import (
    UNRATED,
    AuditStandard,
    CqcMeeting,
    CqcRating,
    MonitoringVisit,
    QualityAudit,
    Rating,
    RatingsImport,
    StandardRating,
    SuggestedConcern,
    TriggerRule,
    VisitFrequency,
    VisitPlan,
    add_months,
)

log = logging.getLogger(__name__)
SAVE_BATCH = 2000

# --- CQC ratings ---------------------------------------------------------------------------------------------


def start_ratings_import(*, user, file_name: str, content: bytes) -> RatingsImport:
    """Keep an uploaded ratings file and queue its import (tasks.run_ratings_import, after commit). What makes the
    file unreadable (size, UTF-8, headings, row count) is refused now, on the upload page."""
    require(perms.can_import_ratings, user)
    return _start(user=user, file_name=file_name, content=content, origin=RatingsImport.Origin.UPLOAD)


def _start(*, user, file_name, content, origin, fingerprint="") -> RatingsImport:
    report = ratings.check_file(content, ratings.MAX_ROWS_SCHEDULED if origin == RatingsImport.Origin.SCHEDULED
                                else ratings.MAX_ROWS)
    if report.file_errors:
        raise ValidationError({"csv_file": report.file_errors})
    with transaction.atomic():
        job = RatingsImport.objects.create(file_name=file_name[:255], content=content, started_by=user,
                                           origin=origin, rows_total=report.rows_total, fingerprint=fingerprint)
        record(actor=user, obj=job, kind="cqc_ratings_import_started",
               summary=f"CQC ratings import of {file_name} started: {report.rows_total} rows")
        outbox.enqueue(tasks.run_ratings_import, job.pk)
    return job


def fetch_scheduled_ratings() -> RatingsImport | None:
    """The scheduled import: fetch settings.CQC_RATINGS_URL (empty: off) and import it like an upload. A file
    the same as the last one fetched is not imported again (importing it would change nothing anyway)."""
    url = settings.CQC_RATINGS_URL
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        raise ValueError("CQC_RATINGS_URL must be an http(s) address")
    with urllib.request.urlopen(url, timeout=60) as response:  # nosec B310 # scheme checked above
        content = response.read(ratings.MAX_BYTES_SCHEDULED + 1)
    last = (RatingsImport.objects.filter(origin=RatingsImport.Origin.SCHEDULED).exclude(
        status=RatingsImport.Status.FAILED).order_by("-created_at", "-id").first())
    name = url.rsplit("/", 1)[-1] or "cqc-ratings.csv"
    if last is not None and last.file_name == name and last.status == RatingsImport.Status.DONE and \
            last.fingerprint == _fingerprint(content):
        return None
    try:
        job = _start(user=None, file_name=name, content=content, origin=RatingsImport.Origin.SCHEDULED,
                     fingerprint=_fingerprint(content))
    except ValidationError as exc:
        with transaction.atomic():
            job = RatingsImport.objects.create(file_name=name[:255], content=b"", origin=RatingsImport.Origin.SCHEDULED,
                                               status=RatingsImport.Status.REFUSED, finished_at=timezone.now(),
                                               file_errors=exc.messages)
            record(actor=None, obj=job, kind="cqc_ratings_import_refused",
                   summary=f"Scheduled CQC ratings fetch of {name}: the file could not be read")
        return job
    return job


def _fingerprint(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def run_ratings_import(*, job_id: int) -> RatingsImport:
    """The import, run by the Celery task: check every row (the page shows how many), then save all or nothing.
    Safe to run again: a finished import is left as it is, an unfinished one checks its rows again."""
    with transaction.atomic():
        job = RatingsImport.objects.select_for_update().get(pk=job_id)
        if not job.is_running:
            return job
        job.status, job.rows_done = RatingsImport.Status.CHECKING, 0
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "rows_done", "started_at"])
    if job.started_by is not None and not perms.can_import_ratings(job.started_by):
        return _end(job_id, RatingsImport.Status.FAILED, failure="The person who started this import may no longer "
                    "import ratings, so nothing was imported")

    def progress(done, total):
        RatingsImport.objects.filter(pk=job_id, status=RatingsImport.Status.CHECKING).update(
            rows_done=done, rows_total=total)

    try:
        report = ratings.parse(bytes(job.content), progress=progress,
                               skip_unknown=job.origin == RatingsImport.Origin.SCHEDULED)
        if not report.is_valid:
            return _end(job_id, RatingsImport.Status.REFUSED, file_errors=report.file_errors, row_errors=[
                {"line": r.line, "location_id": r.location_id, "errors": r.errors} for r in report.error_rows])
        RatingsImport.objects.filter(pk=job_id, status=RatingsImport.Status.CHECKING).update(
            status=RatingsImport.Status.SAVING)
        with transaction.atomic():
            job = RatingsImport.objects.select_for_update().get(pk=job_id)
            if job.status != RatingsImport.Status.SAVING:  # another worker got there first
                return job
            counts = _save_ratings(job=job, report=report)
            return _end(job_id, RatingsImport.Status.DONE, **counts)
    except (IntegrityError, ChangedMeanwhile):
        log.warning("ratings import %s: ratings were added by another import while it ran", job_id)
        return _end(job_id, RatingsImport.Status.FAILED, failure="Another import added ratings for the same "
                    "locations while this one ran, so nothing was imported. Upload the file again")
    except Exception:
        log.exception("ratings import %s stopped", job_id)
        return _end(job_id, RatingsImport.Status.FAILED, failure="The import stopped because of a problem on the "
                    "server, so nothing was imported. Upload the file again, or ask for help if it happens again")


class ChangedMeanwhile(Exception):
    """A rating the check found missing was added before the save."""


def _save_ratings(*, job: RatingsImport, report) -> dict:
    """Save the file's new ratings in batches, each with an event in its provider's history, and raise a
    suggested concern where a provider's newest rating is worse than the one before it. The file's providers are
    locked first, so two imports of ratings for the same locations take turns."""
    new_rows = [r for r in report.rows if r.action == "add"]
    provider_ids = sorted({r.provider_id for r in new_rows})
    for start in range(0, len(provider_ids), 5000):
        list(Provider.objects.select_for_update().filter(pk__in=provider_ids[start:start + 5000])
             .order_by("pk").values_list("pk", flat=True))
    held: dict[int, list[tuple[datetime.date, str]]] = {}
    for start in range(0, len(provider_ids), 5000):
        for pid, day, overall in Rating.objects.filter(provider_id__in=provider_ids[start:start + 5000]).values_list(
                "provider_id", "published_on", "overall"):
            held.setdefault(pid, []).append((day, overall))
    held_keys = {(pid, day) for pid, days in held.items() for day, _ in days}
    if any((r.provider_id, r.published_on) in held_keys for r in new_rows):
        raise ChangedMeanwhile
    new = [Rating(provider_id=r.provider_id, published_on=r.published_on, source=job, **r.ratings) for r in new_rows]
    Rating.objects.bulk_create(new, batch_size=SAVE_BATCH)
    names = dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "name")) if provider_ids else {}
    providers = {pid: Provider(pk=pid, name=name) for pid, name in names.items()}
    record_many(actor=job.started_by, kind="cqc_rating_imported", entries=[
        (providers[rating.provider_id], f"CQC rating {rating.get_overall_display()} published "
         f"{long_date(rating.published_on)} imported from {job.file_name} line {row.line}",
         {"overall": rating.overall, "published_on": rating.published_on,
          **{k: v for k, v in row.ratings.items() if v and k != "overall"}})
        for row, rating in zip(new_rows, new, strict=True)])
    drops = _raise_drops(new, held, providers, job)
    return {"added": len(new), "unchanged": sum(1 for r in report.rows if r.action == "unchanged"),
            "skipped": sum(1 for r in report.rows if r.action == "skip"), "drops": drops}


def _raise_drops(new: list[Rating], held: dict, providers: dict, job) -> int:
    """A provider whose newest rating (after this import) is new and worse than the one before it: one suggested
    concern, keyed by provider and publication date so importing the file again raises nothing."""
    by_provider: dict[int, list] = {}
    for rating in new:
        by_provider.setdefault(rating.provider_id, []).append(rating)
    suggestions = []
    for pid, added in by_provider.items():
        history = sorted([(day, overall, None) for day, overall in held.get(pid, [])]
                         + [(r.published_on, r.overall, r) for r in added], key=lambda item: item[0])
        if len(history) < 2 or history[-1][2] is None:
            continue
        (_, before, _), (day, after, rating) = history[-2], history[-1]
        if CqcRating.rank(after) <= CqcRating.rank(before):
            continue
        suggestions.append(SuggestedConcern(
            provider_id=pid, kind=SuggestedConcern.Kind.RATING_DROP, rating=rating,
            dedup_key=f"cqc-drop:{pid}:{day.isoformat()}", concern_source=Concern.Source.INTERNAL,
            why=f"CQC rating fell from {CqcRating(before).label} to {CqcRating(after).label} "
                f"(published {long_date(day)})"))
    return len(_create_suggestions(suggestions, actor=job.started_by, providers=providers))


def _create_suggestions(suggestions: list[SuggestedConcern], *, actor, providers=None) -> list[SuggestedConcern]:
    """Save the suggestions not already raised (by dedup key), each with its `suggested_concern_raised` event."""
    keys = [s.dedup_key for s in suggestions]
    known = set(SuggestedConcern.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    fresh, taken = [], set()
    for s in suggestions:
        if s.dedup_key not in known and s.dedup_key not in taken:
            taken.add(s.dedup_key)
            fresh.append(s)
    SuggestedConcern.objects.bulk_create(fresh, batch_size=SAVE_BATCH)
    if providers is None:  # each event names its suggestion's provider: read the names once
        providers = {pk: Provider(pk=pk, name=name) for pk, name in Provider.objects.filter(
            pk__in={s.provider_id for s in fresh}).values_list("pk", "name")}
    for s in fresh:
        s.provider = providers[s.provider_id]
    record_many(actor=actor, kind="suggested_concern_raised",
                entries=[(s, s.why, {"provider": s.provider_id, "kind": s.kind}) for s in fresh])
    return fresh


def _end(job_id: int, status: str, **fields) -> RatingsImport:
    with transaction.atomic():
        job = RatingsImport.objects.select_for_update().get(pk=job_id)
        if not job.is_running:
            return job
        for name, value in fields.items():
            setattr(job, name, value)
        job.status, job.finished_at, job.content = status, timezone.now(), b""
        if status == RatingsImport.Status.DONE:
            job.rows_done = job.rows_total
            summary = (f"{job.added} added, {job.unchanged} unchanged, {job.skipped} not on the register, "
                       f"{job.drops} falls in rating suggested as concerns")
            changes = {"added": job.added, "unchanged": job.unchanged, "skipped": job.skipped, "drops": job.drops}
        elif status == RatingsImport.Status.REFUSED:
            summary = f"Nothing imported: {len(job.row_errors)} rows with errors"
            changes = {"rows_with_errors": len(job.row_errors), "file_errors": job.file_errors}
        else:
            summary, changes = f"Nothing imported: {job.failure}", {}
        job.save()
        record(actor=job.started_by, obj=job, kind=f"cqc_ratings_import_{status}",
               summary=f"CQC ratings import of {job.file_name}: {summary}", changes=changes)
    return job


# --- triage of suggested concerns ----------------------------------------------------------------------------


def accept_suggestion(*, user, suggestion_id: int, data: dict, files=()) -> Concern:
    """Turn a suggestion into a concern through the concern-logging service (docs/process.md section 1 applies
    from there: a safeguarding answer restricts it). The suggestion and the concern stand or fall together."""
    with atomic_with_files():
        suggestion = SuggestedConcern.objects.select_for_update().get(pk=suggestion_id)
        require(perms.can_triage, user, suggestion)
        concern = concern_services.log_concern(user=user, provider_id=suggestion.provider_id, data=data, files=files)
        suggestion.status, suggestion.concern = SuggestedConcern.Status.ACCEPTED, concern
        suggestion.decided_by, suggestion.decided_at = user, timezone.now()
        suggestion.save(update_fields=["status", "concern", "decided_by", "decided_at"])
        record(actor=user, obj=suggestion, kind="suggested_concern_accepted",
               summary=f"Accepted: concern {concern.reference} logged", changes={"concern": concern.reference})
    return concern


def dismiss_suggestion(*, user, suggestion_id: int, reason: str) -> SuggestedConcern:
    """Dismiss a suggestion, with the reason (kept and shown with it)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are dismissing this suggestion"})
    with transaction.atomic():
        suggestion = SuggestedConcern.objects.select_for_update().get(pk=suggestion_id)
        require(perms.can_triage, user, suggestion)
        suggestion.status, suggestion.dismiss_reason = SuggestedConcern.Status.DISMISSED, reason
        suggestion.decided_by, suggestion.decided_at = user, timezone.now()
        suggestion.save(update_fields=["status", "dismiss_reason", "decided_by", "decided_at"])
        record(actor=user, obj=suggestion, kind="suggested_concern_dismissed", summary="Dismissed",
               changes={"reason": reason})
    return suggestion


# --- early-warning triggers ----------------------------------------------------------------------------------

RULE_FIELDS = ["name", "kind", "source", "threshold", "window_days", "min_level", "active"]


def save_trigger_rule(*, user, rule_id: int | None, data: dict) -> TriggerRule:
    """Create or change a trigger rule; `TriggerRule.clean()` refuses, with why, a rule that could never fire or
    would fire on everything."""
    require(perms.can_manage_triggers, user)
    with transaction.atomic():
        rule = TriggerRule.objects.select_for_update().get(pk=rule_id) if rule_id else TriggerRule(created_by=user)
        before = {f: getattr(rule, f) for f in RULE_FIELDS} if rule_id else {}
        for name in RULE_FIELDS:
            if name in data:
                setattr(rule, name, data[name])
        rule.full_clean(exclude=["created_by"])
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError as exc:  # the same name saved by someone else a moment ago (full_clean saw none)
            raise ValidationError({"name": "A trigger rule with this name was saved a moment ago: choose another "
                                           "name"}) from exc
        from audit.services import diff

        record(actor=user, obj=rule, kind="trigger_rule_changed" if rule_id else "trigger_rule_created",
               summary=f"Trigger rule: {rule.description}",
               changes=diff(before, {f: getattr(rule, f) for f in RULE_FIELDS}))
    return rule


def evaluate_triggers(*, today: datetime.date | None = None) -> list[SuggestedConcern]:
    """Run every active rule over the concerns received in its window and raise a suggested concern, explained in
    words, where it fires. Idempotent: each firing has a key (rule, provider and the newest concern counted), and
    while a suggestion from a rule about a provider waits for triage that rule raises no other about it. The
    explanation counts concerns and never quotes them, so restricted details stay out of it."""
    today = today or timezone.localdate()
    with transaction.atomic():
        rules = list(TriggerRule.objects.select_for_update().filter(active=True).order_by("pk"))
        if not rules:
            return []
        waiting = set(SuggestedConcern.objects.filter(status=SuggestedConcern.Status.OPEN, rule__in=rules)
                      .values_list("rule_id", "provider_id"))
        # A concern logged by accepting a trigger's suggestion is the signal the rule already raised, not a new
        # one: counted, it would be the newest concern, so every acceptance would raise the next suggestion.
        from_triggers = SuggestedConcern.objects.filter(kind=SuggestedConcern.Kind.TRIGGER,
                                                        concern__isnull=False).values("concern_id")
        found: list[SuggestedConcern] = []
        for rule in rules:
            start = today - datetime.timedelta(days=rule.window_days - 1)
            concerns = (Concern.objects.filter(received_on__gte=start, received_on__lte=today)
                        .exclude(pk__in=from_triggers))
            if rule.source:
                concerns = concerns.filter(source=rule.source)
            for pid, why, key in _firings(rule, concerns, start, today):
                if (rule.pk, pid) in waiting:
                    continue
                waiting.add((rule.pk, pid))
                found.append(SuggestedConcern(provider_id=pid, kind=SuggestedConcern.Kind.TRIGGER, rule=rule,
                                              why=why[:500], dedup_key=key,
                                              concern_source=rule.source or Concern.Source.INTERNAL))
        return _create_suggestions(found, actor=None)


def _firings(rule: TriggerRule, concerns, start, today):
    """(provider id, why in words, dedup key) for each provider the rule fires on."""
    words = rule.source_words
    if rule.kind == TriggerRule.Kind.COUNT:
        rows = (concerns.values("provider_id").annotate(n=Count("pk"), newest=Max("pk"))
                .filter(n__gte=rule.threshold).order_by("provider_id"))
        for row in rows:
            n = row["n"]
            why = (f"{n} {words}{'s' if n != 1 else ''} received between {long_date(start)} and {long_date(today)}: "
                   f"the rule '{rule.name}' fires at {rule.threshold} or more within {rule.window_days} days")
            yield row["provider_id"], why, f"trigger:{rule.pk}:provider:{row['provider_id']}:upto:{row['newest']}"
    else:
        levels = LADDER[LADDER.index(rule.min_level):]
        at_level = dict(EscalationCase.objects.open().filter(level__in=levels).values_list("provider_id", "level"))
        level_names = dict(TriggerRule.Level.choices)
        rows = (concerns.filter(provider_id__in=list(at_level)).values("provider_id")
                .annotate(n=Count("pk"), newest=Max("pk"), last=Max("received_on")).order_by("provider_id"))
        for row in rows:
            pid, n = row["provider_id"], row["n"]
            why = (f"{n} {words}{'s' if n != 1 else ''} received between {long_date(start)} and {long_date(today)} "
                   f"(the latest on {long_date(row['last'])}) while the provider is at "
                   f"{level_names[at_level[pid]]} on the escalation ladder: the rule '{rule.name}' fires on any "
                   f"{words} at a provider at {rule.get_min_level_display()} or above")
            yield pid, why, f"trigger:{rule.pk}:provider:{pid}:upto:{row['newest']}"


# --- monitoring visits ---------------------------------------------------------------------------------------



def compute_visit_programme(*, provider_ids=None) -> dict:
    """Every provider's next routine visit: its frequency from its current risk level (the latest risk
    assessment, or its open escalation case's level when that is higher; normal monitoring if neither) and its
    current CQC rating, counted from its last visit (or, never visited, from the day it joined the register). A
    handful of queries for the whole register; writes only the rows that change, so running it again changes
    nothing."""
    now = timezone.now()
    providers = Provider.objects.all() if provider_ids is None else Provider.objects.filter(pk__in=provider_ids)
    latest_risk = RiskAssessment.objects.filter(provider=OuterRef("pk")).order_by("-assessed_at", "-id")
    latest_rating = Rating.objects.filter(provider=OuterRef("pk")).order_by("-published_on", "-id")
    last_visit = MonitoringVisit.objects.filter(provider=OuterRef("pk")).order_by("-visited_on", "-id")
    open_case = EscalationCase.objects.open().filter(provider=OuterRef("pk"))
    rows = providers.annotate(risk=Subquery(latest_risk.values("level")[:1]),
                              ladder=Subquery(open_case.values("level")[:1]),
                              rated=Subquery(latest_rating.values("overall")[:1]),
                              last=Subquery(last_visit.values("visited_on")[:1])).values_list(
        "pk", "risk", "ladder", "rated", "last", "created_at")
    frequency = {(f.risk_level, f.rating): f.months for f in VisitFrequency.objects.all()}
    with transaction.atomic():
        held = {p.provider_id: p for p in VisitPlan.objects.select_for_update().filter(
            provider_id__in=providers.values("pk"))}
        changed, counts = [], {"providers": 0, "changed": 0}
        for pk, risk, ladder, rated, last, created_at in rows:
            counts["providers"] += 1
            risk, rated = risk or RiskLevel.NORMAL, rated or UNRATED
            if ladder in RiskLevel.values and RiskLevel.rank(ladder) > RiskLevel.rank(risk):
                risk = ladder  # an open escalation case at a higher level than the latest assessment
            months = frequency.get((risk, rated)) or reference.default_months(risk, rated)  # a row missing
            start = last or timezone.localtime(created_at).date()
            due = add_months(start, months) if last else start
            plan = held.get(pk)
            values = (risk, rated, months, last, due)
            if plan is not None and (plan.risk_level, plan.rating, plan.months, plan.last_visit_on,
                                     plan.next_due_on) == values:
                continue
            changed.append(VisitPlan(provider_id=pk, risk_level=risk, rating=rated, months=months, last_visit_on=last,
                                     next_due_on=due, computed_at=now))
        VisitPlan.objects.bulk_create(changed, batch_size=SAVE_BATCH, update_conflicts=True,
                                      unique_fields=["provider"],
                                      update_fields=["risk_level", "rating", "months", "last_visit_on",
                                                     "next_due_on", "computed_at"])
        counts["changed"] = len(changed)
    return counts


def record_visit(*, user, provider_id: int, data: dict) -> MonitoringVisit:
    """Record a routine monitoring visit with its checklist; the provider's next visit moves on from it."""
    require(perms.can_record_visit, user)
    if data["visited_on"] > timezone.localdate():
        raise ValidationError({"visited_on": "The date of the visit must be today or in the past"})
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        visit = MonitoringVisit.objects.create(provider=provider, recorded_by=user, **data)
        record(actor=user, obj=visit, kind="monitoring_visit_recorded",
               summary=f"Monitoring visit to {provider} recorded"
                       + (" with concerns" if visit.has_concerns else ""),
               changes={**data, "provider": provider})
        compute_visit_programme(provider_ids=[provider.pk])
    return visit


def raise_concern_from_visit(*, user, visit_id: int, data: dict, files=()) -> Concern:
    """A visit's findings become a concern (through the concern-logging service), once."""
    with atomic_with_files():
        visit = MonitoringVisit.objects.select_for_update().get(pk=visit_id)
        require(perms.can_record_visit, user)
        if visit.concern_id:
            raise ValidationError(f"A concern was already raised from this visit: {visit.concern}")
        concern = concern_services.log_concern(user=user, provider_id=visit.provider_id, data=data, files=files)
        visit.concern = concern
        visit.save(update_fields=["concern"])
        record(actor=user, obj=visit, kind="monitoring_visit_concern_raised",
               summary=f"Concern {concern.reference} raised from the visit's findings",
               changes={"concern": concern.reference})
    return concern


# --- quality audits ------------------------------------------------------------------------------------------


def record_quality_audit(*, user, provider_id: int, report_date, overall: str, ratings_by_standard: dict,
                         summary: str = "", reaudit_due=None) -> QualityAudit:
    """A quality audit: every standard rated, the provider's action plan due 14 days after the report, the
    re-audit due 6 months after it unless another date is given."""
    require(perms.can_record_quality_audit, user)
    standards = list(AuditStandard.objects.order_by("number"))
    missing = [s for s in standards if s.pk not in ratings_by_standard]
    if missing:
        raise ValidationError(f"Rate every standard: {', '.join(str(s) for s in missing[:3])} not rated")
    if report_date > timezone.localdate():
        raise ValidationError({"report_date": "The date of the report must be today or in the past"})
    reaudit_due = reaudit_due or add_months(report_date, QualityAudit.REAUDIT_MONTHS)
    if reaudit_due <= report_date:
        raise ValidationError({"reaudit_due": "The re-audit must be after the report"})
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        audit = QualityAudit.objects.create(
            provider=provider, report_date=report_date, overall=overall, summary=summary, recorded_by=user,
            action_plan_due=report_date + datetime.timedelta(days=QualityAudit.ACTION_PLAN_DAYS),
            reaudit_due=reaudit_due)
        StandardRating.objects.bulk_create([StandardRating(audit=audit, standard=s, rating=ratings_by_standard[s.pk])
                                            for s in standards])
        record(actor=user, obj=audit, kind="quality_audit_recorded",
               summary=f"Quality audit of {provider}: {audit.get_overall_display()}",
               changes={"report_date": report_date, "overall": overall, "action_plan_due": audit.action_plan_due,
                        "reaudit_due": reaudit_due,
                        "standards": {str(s.number): ratings_by_standard[s.pk] for s in standards}})
    return audit


# --- CQC information-sharing meetings ------------------------------------------------------------------------


def record_cqc_meeting(*, user, meeting_date, attendees: str, provider_ids, actions: str = "",
                       minutes: str = "") -> CqcMeeting:
    require(perms.can_record_cqc_meeting, user)
    if meeting_date > timezone.localdate():
        raise ValidationError({"meeting_date": "Record a meeting once it has taken place: the date must be today "
                                               "or in the past"})
    with transaction.atomic():
        meeting = CqcMeeting.objects.create(meeting_date=meeting_date, attendees=attendees, actions=actions,
                                            minutes=minutes, recorded_by=user)
        meeting.providers.set(list(provider_ids))
        record(actor=user, obj=meeting, kind="cqc_meeting_recorded", summary=str(meeting),
               changes={"attendees": attendees, "providers": sorted(provider_ids), "actions": actions})
    return meeting


# --- the reminder of the next information-sharing meeting with CQC --------------------------------------------

CQC_MEETING_NOTICE_DAYS = 14  # the first reminder: two weeks before the next meeting is due


def remind_cqc_meeting_due(today: datetime.date | None = None) -> int:
    """Tell every CQM (in the app and by email) when the next information-sharing meeting with CQC falls due within
    two weeks, and again once it is overdue: once each per due date, however often this runs (the notifications'
    dedupe key). No meeting recorded yet counts as due now, and is told once. Returns how many were told now."""
    from django.urls import reverse

    from accounts import roles
    from accounts.services import notify, users_with_role

    today = today or timezone.localdate()
    last = CqcMeeting.objects.aggregate(last=Max("meeting_date"))["last"]
    due = add_months(last, CqcMeeting.DUE_EVERY_MONTHS) if last else today
    if (due - today).days > CQC_MEETING_NOTICE_DAYS:
        return 0
    if due < today or last is None:
        stage, message = "overdue", (f"The information-sharing meeting with CQC was due on {long_date(due)}: record "
                                     "it once it has taken place" if last else
                                     "No information-sharing meeting with CQC has been recorded: one is due")
    else:
        stage, message = "soon", f"The information-sharing meeting with CQC is due on {long_date(due)}"
    return notify(users=users_with_role(roles.CQM), message=message, link=reverse("intelligence:cqc_meetings"),
                  dedupe_key=f"cqc-meeting:{due.isoformat()}:{stage}" if last else "cqc-meeting:none-recorded")
