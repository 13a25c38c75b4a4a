"""One function per action on people placed, their reviews, closure plans and the register (ADR 0029).

Each locks what it changes (the case row first, for anything recorded on a case) before reading it, checks the
rule in `permissions.py` with `core.rules.require`, writes its audit event in the same transaction and schedules
its deadlines through `deadlines.services`."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from audit.services import record
from concerns.permissions import case_is_restricted, case_lineage_ids, restricted_concerns_of
from core.dates import long_date
from core.rules import require
from deadlines import services as deadlines
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from escalation.models import EscalationCase
from providers.models import Provider

from . import permissions as perms
from . import selectors
from .models import (
    REFERENCE_MESSAGE,
    AuthorityNotice,
    ClosurePlan,
    ClosureResident,
    FundingType,
    Placement,
    PlacementReview,
    PlacingAuthority,
    RegisterEntry,
    ResidentStatus,
    ReviewStatus,
)

#: A review of each person placed is due 10 working days after the reviews start (docs/process.md).
REVIEW_WORKING_DAYS = 10
#: Closure plan steps: other placing authorities told within 2 working days, every move recorded within 20.
NOTIFY_WORKING_DAYS = 2
MOVES_WORKING_DAYS = 20


def _locked_case(case_id: int) -> EscalationCase:
    try:
        return EscalationCase.objects.select_for_update().select_related("provider").get(pk=case_id)
    except EscalationCase.DoesNotExist as exc:
        raise PermissionDenied("No such case") from exc


def normalise_reference(value: str) -> str:
    return (value or "").strip().upper()


def _check_reference(reference: str) -> str | None:
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{2,29}", reference):
        return REFERENCE_MESSAGE
    return None


# --- people placed -----------------------------------------------------------------------------------------------

def add_placement(*, user, provider_id: int, reference: str, placing_authority, funding: str) -> Placement:
    """Enter one person placed with a provider, by reference."""
    require(perms.can_manage_placements, user)
    reference = normalise_reference(reference)
    problem = _check_reference(reference)
    if problem:
        raise ValidationError({"reference": problem})
    if funding not in FundingType.values:
        raise ValidationError({"funding": "Choose the funding type"})
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        if Placement.objects.filter(provider=provider, reference=reference).exists():
            raise ValidationError({"reference": f"{reference} is already on the list of people placed with "
                                                f"{provider}"})
        try:
            with transaction.atomic():
                placement = Placement.objects.create(provider=provider, reference=reference, funding=funding,
                                                     placing_authority=placing_authority, added_by=user)
        except IntegrityError as exc:
            raise ValidationError({"reference": f"{reference} is already on the list"}) from exc
        record(actor=user, obj=provider, kind="placement_added", summary=f"Placement {reference} added",
               changes={"reference": reference, "placing_authority": str(placing_authority), "funding": funding})
    return placement


IMPORT_COLUMNS = {"reference": ["reference", "placement reference", "care management reference"],
                  "authority": ["placing authority", "authority"],
                  "funding": ["funding type", "funding"]}
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportRow:
    line: int
    reference: str
    authority: str = ""
    funding: str = ""
    errors: list[str] = field(default_factory=list)
    authority_obj: PlacingAuthority | None = None


@dataclass
class PlacementImport:
    file_errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    imported: int = 0

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.bad_rows and bool(self.rows)


def _funding_of(value: str) -> str | None:
    wanted = value.strip().lower()
    for choice in FundingType:
        if wanted in (choice.value, choice.label.lower()):
            return choice.value
    return None


def check_import(*, provider, content: bytes) -> PlacementImport:
    """Every row checked before anything is saved: a bad reference, an unknown placing authority or funding type,
    a reference twice in the file or already on the provider's list is reported with its line."""
    report = PlacementImport()
    if len(content) > MAX_IMPORT_BYTES:
        report.file_errors.append("The file must be smaller than 2 MB")
        return report
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_errors.append("The file must be a CSV saved as UTF-8")
        return report
    try:  # newline="": a file saved with old Mac line endings (CR only) is read as lines too
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        report.file_errors.append(f"The file could not be read as CSV: {exc}")
        return report
    reader = iter(lines)
    headings = [h.strip().lower() for h in next(reader, [])]
    where = {}
    for name, accepted in IMPORT_COLUMNS.items():
        found = next((i for i, h in enumerate(headings) if h in accepted), None)
        if found is None:
            report.file_errors.append(f"The file needs a column headed '{accepted[0].capitalize()}'")
        where[name] = found
    if report.file_errors:
        return report
    authorities = {}
    for authority in PlacingAuthority.objects.all():
        authorities[authority.code.lower()] = authority
        authorities[authority.name.lower()] = authority
    known = set(Placement.objects.filter(provider=provider).values_list("reference", flat=True))
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(report.rows) >= MAX_IMPORT_ROWS:
            report.file_errors.append(f"The file has more than {MAX_IMPORT_ROWS} rows: split it")
            return report
        value = {name: (cells[i].strip() if i < len(cells) else "") for name, i in where.items()}
        row = ImportRow(line=line, reference=normalise_reference(value["reference"]), authority=value["authority"],
                        funding=value["funding"])
        problem = _check_reference(row.reference)
        if problem:
            row.errors.append(f"Reference '{value['reference']}': {problem}" if row.reference else
                              "Enter a reference")
        elif row.reference in seen:
            row.errors.append(f"{row.reference} is also on line {seen[row.reference]}")
        elif row.reference in known:
            row.errors.append(f"{row.reference} is already on the list of people placed with {provider}")
        seen.setdefault(row.reference, line)
        row.authority_obj = authorities.get(row.authority.lower())
        if row.authority_obj is None:
            row.errors.append(f"Unknown placing authority '{row.authority}'" if row.authority
                              else "Enter the placing authority")
        if _funding_of(row.funding) is None:
            row.errors.append(f"Unknown funding type '{row.funding}'" if row.funding else "Enter the funding type")
        else:
            row.funding = _funding_of(row.funding)
        report.rows.append(row)
    if not report.rows:
        report.file_errors.append("The file has no rows under its headings")
    return report


def import_placements(*, user, provider_id: int, content: bytes, file_name: str = "") -> PlacementImport:
    """All or nothing: with any error in the file, nothing is saved and every bad row is reported."""
    require(perms.can_manage_placements, user)
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        report = check_import(provider=provider, content=content)
        if not report.ok:
            return report
        Placement.objects.bulk_create([
            Placement(provider=provider, reference=row.reference, placing_authority=row.authority_obj,
                      funding=row.funding, added_by=user) for row in report.rows])
        report.imported = len(report.rows)
        record(actor=user, obj=provider, kind="placements_imported",
               summary=f"{report.imported} placements imported",
               changes={"file": file_name, "references": [row.reference for row in report.rows]})
    return report


# --- reviews when placements are suspended ---------------------------------------------------------------------

def start_reviews(*, user, case_id: int) -> int:
    """Placements suspended: a review for every person placed with the provider who has none yet in this episode,
    each due in 10 working days with a PLACEMENT_REVIEW deadline. Running it again picks up people added since."""
    with transaction.atomic():
        case = _locked_case(case_id)
        require(perms.can_start_reviews, user, case)
        episode = selectors.current_episode(case)
        if episode is None or episode.suspended_from is None:
            raise ValidationError("Reviews start once the suspension has been signed off")
        have = set(PlacementReview.objects.filter(case=case, episode_start_id=episode.start_log_id)
                   .values_list("placement_id", flat=True))
        placements = [p for p in Placement.objects.active().filter(provider=case.provider_id) if p.pk not in have]
        if not placements:
            raise ValidationError("Every person placed with this provider already has a review for this suspension")
        due = add_working_days(timezone.localdate(), REVIEW_WORKING_DAYS)
        for placement in placements:
            review = PlacementReview.objects.create(placement=placement, case=case, due_date=due,
                                                    episode_start_id=episode.start_log_id)
            deadlines.schedule(key=f"placement_review:{review.pk}:due", kind=Deadline.Kind.PLACEMENT_REVIEW, case=case,
                               due_date=due, title=f"Review of placement {placement.reference}")
        record(actor=user, obj=case, kind="placement_reviews_started",
               summary=f"Reviews started for {len(placements)} people placed",
               changes={"references": [p.reference for p in placements], "due_date": due})
    return len(placements)


def _locked_review(review_id: int):
    case_id = PlacementReview.objects.values_list("case_id", flat=True).get(pk=review_id)
    case = _locked_case(case_id)
    review = PlacementReview.objects.select_for_update().select_related("placement").get(pk=review_id)
    return case, review


def may_be_assigned(person) -> bool:
    return roles.has_role(person, roles.CARE_MANAGER, roles.CQM)


def assign_review(*, user, review_id: int, assignee) -> PlacementReview:
    with transaction.atomic():
        case, review = _locked_review(review_id)
        require(perms.can_assign_review, user, case)
        if not may_be_assigned(assignee):
            raise ValidationError({"assignee": "Choose a care manager or a CQM"})
        if review.status != ReviewStatus.OUTSTANDING:
            raise ValidationError({"assignee": f"The review of {review.placement} has already been recorded"})
        review.assigned_to = assignee
        review.save(update_fields=["assigned_to"])
        record(actor=user, obj=case, kind="placement_review_assigned",
               summary=f"Review of {review.placement} assigned to {assignee}",
               changes={"review": review.pk, "assigned_to": str(assignee)})
    return review


def record_review(*, user, review_id: int, reviewed_on, welfare_checked: bool, advocacy: str,
                  family_contact: str, wishes: str, notes: str = "") -> PlacementReview:
    """The reviewer's outcome: welfare checked, advocacy, family or representative, the person's wishes."""
    with transaction.atomic():
        case, review = _locked_review(review_id)
        require(perms.can_record_review, user, case)
        if review.status != ReviewStatus.OUTSTANDING:
            raise ValidationError(f"The review of {review.placement} was already recorded on "
                                  f"{long_date(review.reviewed_on)}")
        if reviewed_on > timezone.localdate():
            raise ValidationError({"reviewed_on": "Record a review once it has taken place"})
        if reviewed_on < timezone.localdate(review.created_at):
            raise ValidationError({"reviewed_on": "The review date must be on or after the day the reviews started, "
                                                  f"{long_date(timezone.localdate(review.created_at))}"})
        review.status, review.reviewed_on, review.welfare_checked = ReviewStatus.REVIEWED, reviewed_on, welfare_checked
        review.advocacy, review.family_contact, review.wishes, review.notes = advocacy, family_contact, wishes, notes
        review.recorded_by = user
        review.full_clean(exclude=["placement", "case", "episode_start", "assigned_to", "recorded_by"])
        review.save()
        deadlines.meet(case=case, kinds=[Deadline.Kind.PLACEMENT_REVIEW], user=user,
                       key_prefix=f"placement_review:{review.pk}:")
        record(actor=user, obj=case, kind="placement_reviewed", summary=f"Review of {review.placement} recorded",
               changes={"review": review.pk, "reviewed_on": reviewed_on, "welfare_checked": welfare_checked,
                        "advocacy": advocacy, "family_contact": family_contact, "wishes": wishes, "notes": notes})
    return review


# --- the register ---------------------------------------------------------------------------------------------------

RUN = 6  # words in a row: a public summary may not repeat this many words of a restricted concern
MIN_SENTENCE = 3  # nor any whole sentence of three words or more


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", (text or "").lower())


def _identifiers(words: list[str]) -> set[str]:
    """Reference-like words (a care management reference, a room number with letters, a code): letters with
    digits, five characters or more, or three or more parts joined by hyphens."""
    return {w for w in words if (len(w) >= 5 and any(c.isdigit() for c in w)) or (w.count("-") >= 2 and len(w) >= 12)}


def restricted_texts(case) -> list[str]:
    """The free text of the case's safeguarding-restricted concerns and, the case being restricted, everything
    written on it and on the cases it was reopened from (rationales and reasons, minutes and attendees, plans and
    their progress, reports, sign-offs, SPRG decisions, visits, notifications): a restricted case's record is
    hidden from people not cleared for it, so a public summary must never repeat any of it."""
    texts = []
    for concern in restricted_concerns_of(case).prefetch_related("advice", "monitoring", "risk_assessments"):
        texts += [concern.description, concern.raised_by, concern.further_action_reason, concern.outcome_notes,
                  concern.closing_notes, " ".join(str(r) for r in concern.care_management_refs or [])]
        texts += [text for a in concern.advice.all() for text in (a.advice, a.adviser)]
        texts += [text for m in concern.monitoring.all() for text in (m.note, m.carried_out_by)]
        texts += [text for r in concern.risk_assessments.all() for text in (r.notes, r.override_reason)]
    if texts or case_is_restricted(case):  # a reopened case's rationale quotes why: every case of the line
        texts += case_record_texts(case_lineage_ids(case))
    return [t for t in texts if t and t.strip()]


def case_record_texts(case_ids) -> list[str]:
    """Every piece of free text written on these cases, by the council or by the provider through the portal (one
    query a kind of record)."""
    from escalation.models import (
        CaseMeeting,
        CqtVisit,
        DecisionReport,
        LadderMove,
        PerformanceReview,
        PlanAction,
        ProgressNote,
        RouteNotification,
        SignOff,
        SprgDecision,
    )
    from letters.models import Letter
    from replies.models import ActionUpdate, Appeal

    ids = list(case_ids)
    texts = [t for row in EscalationCase.objects.filter(pk__in=ids).values_list("opening_rationale",
                                                                                 "closing_reason") for t in row]
    for meeting in CaseMeeting.objects.filter(case_id__in=ids).only("minutes", "outcome_notes", "attendees"):
        texts += [meeting.minutes, meeting.outcome_notes]
        # The attendees' names (not their agencies: "Care Quality Commission" may be named in any summary).
        texts += [str(a.get("name", "")) for a in meeting.attendees or [] if isinstance(a, dict)]
    for report in DecisionReport.objects.filter(case_id__in=ids).only("body", "open_areas_reason", "conditions"):
        texts += [report.body, report.open_areas_reason]
        texts += [str(c.get("condition", "")) for c in report.conditions or [] if isinstance(c, dict)]
    for model, fields, path in (
            (LadderMove, ("reason", "skip_rationale"), "case_id__in"),
            (SignOff, ("rationale",), "report__case_id__in"),
            (SprgDecision, ("notes",), "case_id__in"),
            (CqtVisit, ("findings",), "case_id__in"),
            (RouteNotification, ("note",), "case_id__in"),
            (PlanAction, ("area_of_concern", "action", "evidence"), "plan__case_id__in"),
            (ProgressNote, ("note",), "action__plan__case_id__in"),
            (PerformanceReview, ("notes",), "plan__case_id__in"),
            (Letter, ("free_text", "withdrawn_reason"), "case_id__in"),
            (Appeal, ("grounds", "reasons"), "case_id__in"),
            (ActionUpdate, ("progress", "question"), "case_id__in"),
            (Deadline, ("status_reason",), "case_id__in")):
        texts += [t for row in model.objects.filter(**{path: ids}).values_list(*fields) for t in row]
    return texts


def repeated_restricted_text(summary: str, texts: list[str]) -> str | None:
    """The first reference-like word, run of six words, or whole sentence of three words or more that `summary`
    shares with any of `texts` (compared as lower-case words, punctuation ignored), or None."""
    said = _words(summary)
    if not said:
        return None
    said_runs = {tuple(said[i:i + RUN]) for i in range(len(said) - RUN + 1)}
    said_text = " " + " ".join(said) + " "
    said_ids = _identifiers(said)
    for text in texts:
        words = _words(text)
        shared = said_ids & _identifiers(words)
        if shared:
            return sorted(shared)[0]
        for i in range(len(words) - RUN + 1):
            if tuple(words[i:i + RUN]) in said_runs:
                return " ".join(words[i:i + RUN])
        for sentence in re.split(r"[.!?\n;]+", text):
            sentence_words = _words(sentence)
            if len(sentence_words) >= MIN_SENTENCE and f" {' '.join(sentence_words)} " in said_text:
                return " ".join(sentence_words)
    return None


def save_register_entry(*, user, case_id: int, episode_start_id: int, public_summary: str, internal_detail: str,
                        made_public: bool, made_public_on=None) -> RegisterEntry:
    """A CQM writes what the register says about one episode. The public summary is refused if it repeats the
    text of a restricted concern of the case."""
    with transaction.atomic():
        case = _locked_case(case_id)
        require(perms.can_keep_register, user, case)
        episode = selectors.episode_of(user, case, episode_start_id)
        if episode is None:
            raise ValidationError("That episode is not on this case's route")
        repeated = repeated_restricted_text(public_summary, restricted_texts(case))
        if repeated:
            raise ValidationError({"public_summary": "The public summary repeats words from a safeguarding-"
                                                     "restricted concern of this case. Write it in other words, "
                                                     "without the restricted details."})
        if made_public and not made_public_on:
            raise ValidationError({"made_public_on": "Enter the date it was made public"})
        if made_public_on and made_public_on > timezone.localdate():
            raise ValidationError({"made_public_on": "The date it was made public cannot be in the future"})
        if made_public and not public_summary.strip():
            raise ValidationError({"public_summary": "Enter the public summary that was made public"})
        entry = RegisterEntry.objects.select_for_update().filter(episode_start_id=episode_start_id).first()
        if entry is None:
            entry = RegisterEntry(case=case, episode_start_id=episode_start_id)
        before = {"public_summary": entry.public_summary, "internal_detail": entry.internal_detail,
                  "made_public": entry.made_public, "made_public_on": entry.made_public_on}
        entry.public_summary, entry.internal_detail = public_summary.strip(), internal_detail.strip()
        entry.made_public, entry.made_public_on = made_public, made_public_on if made_public else None
        entry.updated_by = user
        entry.save()
        record(actor=user, obj=case, kind="register_entry_saved",
               summary=f"Register entry for the episode from {long_date(episode.started_on)} saved",
               changes={"before": before, "public_summary": entry.public_summary,
                        "internal_detail": entry.internal_detail, "made_public": made_public,
                        "made_public_on": entry.made_public_on})
    return entry


# --- closure plans ----------------------------------------------------------------------------------------------

def open_closure_plan(*, user, case_id: int) -> ClosurePlan:
    """A provider failed (the case ended under the Provider Failure Policy): the council's temporary duty starts.
    Every person placed becomes a resident row, every other placing authority with people there is to be told,
    and the plan's deadlines are set."""
    with transaction.atomic():
        case = _locked_case(case_id)
        require(perms.can_open_closure_plan, user, case)
        if ClosurePlan.objects.filter(case=case).exists():
            raise ValidationError("This case already has a closure plan")
        plan = ClosurePlan.objects.create(case=case, provider=case.provider, opened_by=user)
        placements = list(Placement.objects.active().filter(provider=case.provider_id)
                          .select_related("placing_authority"))
        ClosureResident.objects.bulk_create([ClosureResident(plan=plan, placement=p) for p in placements])
        others = {p.placing_authority for p in placements if not p.placing_authority.is_this_council}
        AuthorityNotice.objects.bulk_create([AuthorityNotice(plan=plan, authority=a) for a in others])
        today = timezone.localdate()
        if others:
            deadlines.schedule(key=f"closure_plan:{plan.pk}:notify", kind=Deadline.Kind.CLOSURE_PLAN, case=case,
                               due_date=add_working_days(today, NOTIFY_WORKING_DAYS),
                               title="Closure plan: tell the other placing authorities")
        deadlines.schedule(key=f"closure_plan:{plan.pk}:moves", kind=Deadline.Kind.CLOSURE_PLAN, case=case,
                           due_date=add_working_days(today, MOVES_WORKING_DAYS),
                           title="Closure plan: every resident's move recorded")
        record(actor=user, obj=case, kind="closure_plan_opened",
               summary=f"Closure plan opened for {len(placements)} residents",
               changes={"residents": [p.reference for p in placements],
                        "authorities_to_notify": sorted(str(a) for a in others)})
    return plan


def _locked_plan(plan_id: int):
    case_id = ClosurePlan.objects.values_list("case_id", flat=True).get(pk=plan_id)
    case = _locked_case(case_id)
    return case, ClosurePlan.objects.select_for_update().get(pk=plan_id)


def _require_open(plan):
    if not plan.is_open:
        raise ValidationError("This closure plan is closed")


def update_resident(*, user, resident_id: int, status: str, move_date=None, new_provider=None,
                    new_provider_elsewhere: str = "") -> ClosureResident:
    plan_id = ClosureResident.objects.values_list("plan_id", flat=True).get(pk=resident_id)
    with transaction.atomic():
        case, plan = _locked_plan(plan_id)
        require(perms.can_update_closure_plan, user, case)
        _require_open(plan)
        resident = ClosureResident.objects.select_for_update().select_related("placement").get(pk=resident_id)
        if status not in ResidentStatus.values:
            raise ValidationError({"status": "Choose the resident's status"})
        new_provider_elsewhere = new_provider_elsewhere.strip()
        if new_provider and new_provider_elsewhere:
            raise ValidationError({"new_provider_elsewhere": "Choose a provider on the register or name one "
                                                             "outside it, not both"})
        if new_provider and new_provider.pk == plan.provider_id:
            raise ValidationError({"new_provider": "The new provider cannot be the one that is closing"})
        if status == ResidentStatus.MOVED:
            if not move_date:
                raise ValidationError({"move_date": "Enter the date of the move"})
            if move_date > timezone.localdate():
                raise ValidationError({"move_date": "A move is recorded as done once it has happened: choose "
                                                    "'Moving' for a planned move"})
            if not new_provider and not new_provider_elsewhere:
                raise ValidationError({"new_provider": "Choose the new provider, or name one outside the register"})
        if status == ResidentStatus.STAYING:
            move_date, new_provider, new_provider_elsewhere = None, None, ""
        resident.status, resident.move_date = status, move_date
        resident.new_provider, resident.new_provider_elsewhere = new_provider, new_provider_elsewhere
        resident.updated_by, resident.updated_at = user, timezone.now()
        resident.save()
        record(actor=user, obj=case, kind="closure_resident_updated",
               summary=f"Closure plan: {resident.placement} {resident.get_status_display().split(' (')[0].lower()}",
               changes={"resident": resident.placement.reference, "status": status, "move_date": move_date,
                        "new_provider": resident.new_provider_name})
    return resident


def record_authority_notified(*, user, notice_id: int, notified_on) -> AuthorityNotice:
    plan_id = AuthorityNotice.objects.values_list("plan_id", flat=True).get(pk=notice_id)
    with transaction.atomic():
        case, plan = _locked_plan(plan_id)
        require(perms.can_update_closure_plan, user, case)
        _require_open(plan)
        notice = AuthorityNotice.objects.select_for_update().select_related("authority").get(pk=notice_id)
        if notice.notified_on:
            raise ValidationError({"notified_on": f"{notice.authority} was already recorded as notified on "
                                                  f"{long_date(notice.notified_on)}"})
        if notified_on > timezone.localdate():
            raise ValidationError({"notified_on": "Record the notification once it has been sent"})
        if notified_on < timezone.localdate(plan.opened_at):
            raise ValidationError({"notified_on": "The date must be on or after the plan was opened"})
        notice.notified_on, notice.notified_by = notified_on, user
        notice.save()
        if not plan.notices.filter(notified_on__isnull=True).exists():
            deadlines.meet(case=case, kinds=[Deadline.Kind.CLOSURE_PLAN], user=user,
                           key_prefix=f"closure_plan:{plan.pk}:notify")
        record(actor=user, obj=case, kind="closure_authority_notified",
               summary=f"Closure plan: {notice.authority} notified",
               changes={"authority": str(notice.authority), "notified_on": notified_on})
    return notice


def close_closure_plan(*, user, plan_id: int) -> ClosurePlan:
    """Refused while any resident's move is not recorded (moving, or moved without a date or a new provider),
    listing their references. Residents who moved leave the provider's list of people placed."""
    with transaction.atomic():
        case, plan = _locked_plan(plan_id)
        require(perms.can_close_closure_plan, user, case)
        _require_open(plan)
        residents = list(plan.residents.select_for_update().select_related("placement"))
        missing = [r.placement.reference for r in residents if not r.move_recorded]
        if missing:
            raise ValidationError(f"The plan cannot be closed: the move of {len(missing)} resident"
                                  f"{'s' if len(missing) > 1 else ''} is not recorded: {', '.join(missing)}")
        for resident in residents:
            if resident.status == ResidentStatus.MOVED:
                Placement.objects.filter(pk=resident.placement_id).update(ended_on=resident.move_date)
        plan.status, plan.closed_by, plan.closed_at = ClosurePlan.Status.CLOSED, user, timezone.now()
        plan.save()
        deadlines.meet(case=case, kinds=[Deadline.Kind.CLOSURE_PLAN], user=user, key_prefix=f"closure_plan:{plan.pk}:")
        record(actor=user, obj=case, kind="closure_plan_closed", summary="Closure plan closed",
               changes={"moved": [r.placement.reference for r in residents if r.status == ResidentStatus.MOVED],
                        "staying": [r.placement.reference for r in residents if r.status == ResidentStatus.STAYING]})
    return plan
