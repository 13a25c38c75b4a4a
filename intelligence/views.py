from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.permissions import is_caseworker
from concerns.permissions import is_cleared
from core.csv_export import SafeDictWriter, csv_response
from core.rules import require
from core.views import submit
from providers.models import Provider

from . import permissions as perms
from . import selectors, services
from .forms import (
    CqcMeetingForm,
    DismissForm,
    QualityAuditForm,
    RatingsImportForm,
    SuggestedConcernForm,
    TriggerRuleForm,
    VisitConcernForm,
    VisitForm,
)
from .models import (
    AuditStandard,
    CqcMeeting,
    MonitoringVisit,
    QualityAudit,
    RatingsImport,
    SuggestedConcern,
    TriggerRule,
)

IMPORT_REFRESH_SECONDS = 2


def _require_page(rule, request, obj=None):
    """A page is refused with 403 (and changes nothing) when the person may not use it."""
    if not rule(request.user, obj):
        raise PermissionDenied(rule.explain(request.user, obj))


def index(request):
    """What intelligence holds for this person: the triage queue, ratings, triggers and the other sections."""
    _require_page(perms.can_see_ratings, request)
    return render(request, "intelligence/index.html", selectors.overview(request.user))


# --- CQC ratings ---------------------------------------------------------------------------------------------


def ratings_import(request):
    _require_page(perms.can_import_ratings, request)
    form = RatingsImportForm(request.POST or None, request.FILES or None)

    def start(data):
        upload = data["csv_file"]
        upload.seek(0)
        return services.start_ratings_import(user=request.user, file_name=upload.name, content=upload.read())

    done = submit(request, form, start, success=None, done_url=lambda job: job)
    return done or render(request, "intelligence/ratings_import.html", {
        "form": form, "recent": RatingsImport.objects.defer("content").select_related("started_by")[:10]})


def ratings_import_job(request, pk):
    """An import's progress while it runs (the page reloads itself with a Refresh header), then its result."""
    _require_page(perms.can_import_ratings, request)
    job = get_object_or_404(RatingsImport.objects.defer("content").select_related("started_by"), pk=pk)
    response = render(request, "intelligence/ratings_import_job.html", {
        "job": job, "refresh_seconds": IMPORT_REFRESH_SECONDS})
    if job.is_running:
        response["Refresh"] = str(IMPORT_REFRESH_SECONDS)
    return response


# --- triage --------------------------------------------------------------------------------------------------

STATUS_FILTERS = {"open": "Waiting for triage", "accepted": "Accepted", "dismissed": "Dismissed"}


def suggestions(request):
    """The triage queue: suggested concerns waiting for an officer, newest first (or those already decided)."""
    _require_page(perms.can_see_suggestions, request)
    status = request.GET.get("status") if request.GET.get("status") in STATUS_FILTERS else "open"
    rows = (SuggestedConcern.objects.filter(status=status)
            .select_related("provider", "concern", "decided_by").order_by("-raised_at", "-id"))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "intelligence/suggestions.html", {
        "page": page, "status": status, "filters": STATUS_FILTERS,
        "can_triage": is_caseworker(request.user)})


def _suggestion(pk):
    return get_object_or_404(SuggestedConcern.objects.select_related("provider", "rule", "rating", "concern",
                                                                     "decided_by"), pk=pk)


def suggestion(request, pk):
    _require_page(perms.can_see_suggestions, request)
    item = _suggestion(pk)
    return render(request, "intelligence/suggestion.html", {
        "suggestion": item, "can_triage": perms.can_triage(request.user, item)})


def suggestion_accept(request, pk):
    """Accept: the concern form, filled in from the suggestion, that the officer completes and sends (one step)."""
    item = _suggestion(pk)
    _require_page(perms.can_triage, request, item)
    form = SuggestedConcernForm(request.POST or None, request.FILES or None, suggestion=item)
    done = submit(request, form, lambda d: services.accept_suggestion(
        user=request.user, suggestion_id=item.pk, data=form.concern_data(), files=d["evidence"]),
        done_url=lambda concern: concern, refused_url=item.get_absolute_url(),
        success=lambda concern: f"Concern {concern.reference} logged from the suggestion" + (
            ". It is safeguarding-restricted: record the safeguarding advice next." if concern.restricted else "."))
    return done or render(request, "intelligence/suggestion_accept.html", {"form": form, "suggestion": item})


def suggestion_dismiss(request, pk):
    item = _suggestion(pk)
    _require_page(perms.can_triage, request, item)
    form = DismissForm(request.POST or None)
    done = submit(request, form, lambda d: services.dismiss_suggestion(
        user=request.user, suggestion_id=item.pk, reason=d["reason"]),
        success="Suggestion dismissed", done_url=item.get_absolute_url())
    return done or render(request, "intelligence/suggestion_dismiss.html", {"form": form, "suggestion": item})


# --- trigger rules -------------------------------------------------------------------------------------------


def triggers(request):
    _require_page(perms.can_see_suggestions, request)
    return render(request, "intelligence/triggers.html", {
        "rules": TriggerRule.objects.all(), "can_manage": perms.can_manage_triggers(request.user)})


def trigger_edit(request, pk=None):
    require(perms.can_manage_triggers, request.user)
    rule = get_object_or_404(TriggerRule, pk=pk) if pk else None
    form = TriggerRuleForm(request.POST or None, instance=rule)
    done = submit(request, form, lambda d: services.save_trigger_rule(
        user=request.user, rule_id=pk, data=form.rule_data()),
        success=lambda saved: f"Trigger rule '{saved.name}' saved", done_url=lambda saved: "intelligence:triggers")
    return done or render(request, "intelligence/trigger_form.html", {"form": form, "rule": rule})


# --- monitoring visits ---------------------------------------------------------------------------------------

VISIT_WINDOWS = {"overdue": "Overdue", "30": "Overdue or due in the next 30 days", "90": "Due in the next 90 days"}


def visits_due(request):
    """The visit programme: providers whose routine visit is overdue or due soon, soonest first."""
    _require_page(perms.can_see_visits, request)
    window = request.GET.get("when") if request.GET.get("when") in VISIT_WINDOWS else "30"
    if request.GET.get("format") == "csv":  # for planning a round of visits: every row of the period
        return _visits_due_csv(selectors.visits_due(window), window)
    page = Paginator(selectors.visits_due(window), 50).get_page(request.GET.get("page"))
    return render(request, "intelligence/visits_due.html", {
        "page": page, "window": window, "windows": VISIT_WINDOWS, "today": timezone.localdate(),
        "can_record": perms.can_record_visit(request.user)})


VISITS_CSV_FIELDS = ["provider", "cqc_location_id", "town", "postcode", "due", "overdue", "last_visit",
                     "every_months", "risk_level", "cqc_rating"]


def _visits_due_csv(plans, window):
    today = timezone.localdate()
    response = csv_response(f"visits-due-{window}.csv")
    writer = SafeDictWriter(response, fieldnames=VISITS_CSV_FIELDS)
    writer.writeheader()
    for plan in plans.iterator(chunk_size=1000):
        writer.writerow({"provider": plan.provider.name, "cqc_location_id": plan.provider.cqc_location_id,
                         "town": plan.provider.town, "postcode": plan.provider.postcode,
                         "due": plan.next_due_on.isoformat(), "overdue": "yes" if plan.next_due_on < today else "no",
                         "last_visit": plan.last_visit_on.isoformat() if plan.last_visit_on else "",
                         "every_months": plan.months, "risk_level": plan.get_risk_level_display(),
                         "cqc_rating": plan.get_rating_display()})
    return response


def visit_new(request, provider_id):
    require(perms.can_record_visit, request.user)
    provider = get_object_or_404(Provider, pk=provider_id)
    form = VisitForm(request.POST or None)
    done = submit(request, form, lambda d: services.record_visit(
        user=request.user, provider_id=provider.pk, data=d), success="Visit recorded", done_url=lambda v: v)
    return done or render(request, "intelligence/visit_form.html", {"form": form, "provider": provider})


def visit(request, pk):
    _require_page(perms.can_see_visits, request)
    item = get_object_or_404(MonitoringVisit.objects.select_related("provider", "recorded_by", "concern"), pk=pk)
    return render(request, "intelligence/visit.html", {
        "visit": item, "can_raise": perms.can_record_visit(request.user) and not item.concern_id,
        "findings_restricted": _findings_restricted(request.user, item)})


def _findings_restricted(user, item) -> bool:
    """The findings became the text of the concern raised from them: once that concern is safeguarding-restricted,
    its notes and summary are for people cleared for it (ADR 0019), like the concern itself."""
    return bool(item.concern_id and item.concern.restricted and not is_cleared(user, item.concern))


def visit_concern(request, pk):
    """Raise a concern from a visit's findings: the concern form, filled in from them (one step)."""
    require(perms.can_record_visit, request.user)
    item = get_object_or_404(MonitoringVisit.objects.select_related("provider"), pk=pk)
    if item.concern_id:  # raised once; the form would show the findings, now the concern's (maybe restricted) text
        raise PermissionDenied(f"A concern was already raised from this visit: {item.concern}")
    form = VisitConcernForm(request.POST or None, request.FILES or None, visit=item)
    done = submit(request, form, lambda d: services.raise_concern_from_visit(
        user=request.user, visit_id=item.pk, data=form.concern_data(), files=d["evidence"]),
        done_url=lambda concern: concern,
        success=lambda concern: f"Concern {concern.reference} logged from the visit's findings")
    return done or render(request, "intelligence/visit_concern.html", {"form": form, "visit": item})


# --- quality audits ------------------------------------------------------------------------------------------


def audits(request):
    _require_page(perms.can_see_visits, request)
    rows = QualityAudit.objects.select_related("provider").order_by("-report_date", "-id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "intelligence/audits.html", {"page": page, "today": timezone.localdate()})


def audit_new(request, provider_id):
    require(perms.can_record_quality_audit, request.user)
    provider = get_object_or_404(Provider, pk=provider_id)
    standards = list(AuditStandard.objects.select_related("domain"))
    form = QualityAuditForm(request.POST or None, standards=standards)
    done = submit(request, form, lambda d: services.record_quality_audit(
        user=request.user, provider_id=provider.pk, report_date=d["report_date"], overall=d["overall"],
        ratings_by_standard=form.ratings_by_standard(), summary=d["summary"], reaudit_due=d["reaudit_due"]),
        success="Quality audit recorded", done_url=lambda a: a)
    return done or render(request, "intelligence/audit_form.html", {"form": form, "provider": provider})


def audit(request, pk):
    _require_page(perms.can_see_visits, request)
    item = get_object_or_404(QualityAudit.objects.select_related("provider", "recorded_by"), pk=pk)
    rows = item.standard_ratings.select_related("standard__domain")
    return render(request, "intelligence/audit.html", {"audit": item, "rows": rows})


# --- CQC information-sharing meetings ------------------------------------------------------------------------


def cqc_meetings(request):
    _require_page(perms.can_see_cqc_meetings, request)
    page = Paginator(CqcMeeting.objects.select_related("recorded_by"), 25).get_page(request.GET.get("page"))
    return render(request, "intelligence/cqc_meetings.html", {
        "page": page, "next_due": selectors.next_cqc_meeting_due(), "today": timezone.localdate(),
        "can_record": perms.can_record_cqc_meeting(request.user)})


def cqc_meeting_new(request):
    require(perms.can_record_cqc_meeting, request.user)
    form = CqcMeetingForm(request.POST or None)
    done = submit(request, form, lambda d: services.record_cqc_meeting(
        user=request.user, meeting_date=d["meeting_date"], attendees=d["attendees"], provider_ids=d["location_ids"],
        actions=d["actions"], minutes=d["minutes"]), success="Meeting recorded", done_url=lambda m: m)
    return done or render(request, "intelligence/cqc_meeting_form.html", {"form": form})


def cqc_meeting(request, pk):
    _require_page(perms.can_see_cqc_meetings, request)
    item = get_object_or_404(CqcMeeting.objects.select_related("recorded_by"), pk=pk)
    return render(request, "intelligence/cqc_meeting.html", {"meeting": item, "providers": item.providers.all()})
