"""Pages for people placed, their reviews, closure plans and the register: parse, call a service, render."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from concerns import services as concern_services
from core.csv_export import SafeDictWriter, csv_response
from core.dates import long_date
from core.rules import require
from core.views import submit
from deadlines.models import Deadline
from escalation.models import EscalationCase
from providers.models import PlacementStatus, Provider

from . import permissions as perms
from . import selectors, services
from .forms import (
    AssignReviewForm,
    ConfirmForm,
    NotifiedForm,
    PlacementForm,
    PlacementImportForm,
    RegisterEntryForm,
    RegisterFilterForm,
    ResidentForm,
    ReviewOutcomeForm,
    StartReviewsForm,
)
from .models import AuthorityNotice, ClosureResident, FundingType, Placement, PlacementReview

PAGE_SIZE = 50


def _provider(request, provider_id, rule=perms.can_see_placements) -> Provider:
    if not rule(request.user):
        raise PermissionDenied
    return get_object_or_404(Provider, pk=provider_id)


def _case(request, case_id, rule=perms.can_read_reviews) -> EscalationCase:
    """The case for a person whose role may see reviews and closure plans, cleared for it (a refusal for
    restricted details is recorded, as on the case page's own pages)."""
    if not rule.who_parts or not any(check(request.user) for check in _who_checks(rule)):
        raise PermissionDenied
    case = get_object_or_404(EscalationCase.objects.select_related("provider", "owner"), pk=case_id)
    concern_services.require_case_clearance(user=request.user, case=case)
    return case


def _who_checks(rule):
    """The role part of a rule (its first check when it is `who & when`)."""
    return [rule.checks[0]] if rule.when_parts else [rule]


# --- people placed ------------------------------------------------------------------------------------------------

def index(request):
    """Where Care Management starts: providers whose placements are at risk or suspended, or with people on the
    list, with their counts; the suspended cases' reviews; the register."""
    if not perms.can_see_placements(request.user):
        raise PermissionDenied
    providers = (Provider.objects.filter(Q(placements__isnull=False) | ~Q(placement_status=PlacementStatus.OPEN))
                 .annotate(placed=Count("placements", filter=Q(placements__ended_on__isnull=True)))
                 .order_by("name").distinct())
    page = Paginator(providers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "placements/index.html", {"page": page})


def provider_placements(request, provider_id):
    provider = _provider(request, provider_id)
    placements = (Placement.objects.filter(provider=provider).select_related("placing_authority")
                  .order_by("ended_on", "reference"))
    page = Paginator(placements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "placements/provider_placements.html", {
        "provider": provider, "page": page, "may_manage": perms.can_manage_placements(request.user),
        "active_count": Placement.objects.active().filter(provider=provider).count()})


def placement_add(request, provider_id):
    provider = _provider(request, provider_id, perms.can_manage_placements)
    form = PlacementForm(request.POST or None)
    done_url = reverse("placements:provider", args=[provider.pk])
    done = submit(request, form, lambda d: services.add_placement(
        user=request.user, provider_id=provider.pk, reference=d["reference"],
        placing_authority=d["placing_authority"], funding=d["funding"]),
        success=lambda p: f"{p.reference} added to the people placed with {provider}", done_url=done_url)
    return done or render(request, "placements/placement_form.html", {"form": form, "provider": provider})


def placement_import(request, provider_id):
    provider = _provider(request, provider_id, perms.can_manage_placements)
    form = PlacementImportForm(request.POST or None, request.FILES or None)

    def run(data):
        upload = data["file"]
        report = services.import_placements(user=request.user, provider_id=provider.pk, content=upload.read(),
                                            file_name=upload.name)
        if not report.ok:
            problems = report.file_errors + [f"Line {row.line}" + (f" ({row.reference})" if row.reference else "")
                                             + ": " + "; ".join(row.errors) for row in report.bad_rows]
            raise ValidationError({"file": [f"Nothing was imported. {problems[0]}"] + problems[1:]})
        return report

    done = submit(request, form, run, success=lambda r: f"{r.imported} people placed imported",
                  done_url=reverse("placements:provider", args=[provider.pk]))
    return done or render(request, "placements/placement_import.html", {"form": form, "provider": provider,
                                                                         "funding_types": FundingType.choices})


# --- reviews ------------------------------------------------------------------------------------------------------

def case_reviews(request, case_id):
    case = _case(request, case_id)
    episode = selectors.current_episode(case)
    episode_start_id = episode.start_log_id if episode and episode.suspended_from else None
    if episode_start_id is None:
        episode_start_id = (PlacementReview.objects.filter(case=case).order_by("-episode_start_id")
                            .values_list("episode_start_id", flat=True).first())
    reviews = list(selectors.reviews_for(case, episode_start_id)) if episode_start_id else []
    reviewed = {r.placement_id for r in reviews}
    waiting = 0
    if episode and episode.suspended_from:
        waiting = Placement.objects.active().filter(provider=case.provider_id).exclude(pk__in=reviewed).count()
    return render(request, "placements/case_reviews.html", {
        "case": case, "episode": episode, "reviews": reviews,
        "progress": selectors.review_progress(case, episode_start_id=episode_start_id) if episode_start_id else None,
        "waiting": waiting, "may_start": waiting and perms.can_start_reviews(request.user, case),
        "may_assign": perms.can_assign_review(request.user, case),
        "may_record": perms.can_record_review(request.user, case), "form": StartReviewsForm()})


def reviews_start(request, case_id):
    case = _case(request, case_id, perms.can_start_reviews)
    require(perms.can_start_reviews, request.user, case)
    form = StartReviewsForm(request.POST or None)
    done_url = reverse("placements:case_reviews", args=[case.pk])
    done = submit(request, form, lambda d: services.start_reviews(user=request.user, case_id=case.pk),
                  success=lambda n: f"{n} review{'s' if n != 1 else ''} started", done_url=done_url)
    return done or render(request, "placements/confirm.html", {
        "form": form, "case": case, "back_url": done_url, "heading": "Start the reviews of the people placed",
        "button": "Start the reviews",
        "intro": "A review is started for every person placed with the provider who has none for this suspension. "
                 f"Each is due in {services.REVIEW_WORKING_DAYS} working days."})


def _review(request, pk, rule):
    review = get_object_or_404(PlacementReview.objects.select_related("placement__placing_authority"), pk=pk)
    case = _case(request, review.case_id, rule)
    require(rule, request.user, case)
    return case, review


def review_assign(request, pk):
    case, review = _review(request, pk, perms.can_assign_review)
    form = AssignReviewForm(request.POST or None, initial={"assignee": review.assigned_to_id})
    done_url = reverse("placements:case_reviews", args=[case.pk])
    done = submit(request, form, lambda d: services.assign_review(user=request.user, review_id=review.pk,
                                                                  assignee=d["assignee"]),
                  success=lambda r: f"Review of {r.placement} assigned to {r.assigned_to}", done_url=done_url)
    return done or render(request, "placements/review_form.html", {
        "form": form, "case": case, "review": review, "back_url": done_url,
        "heading": f"Assign the review of {review.placement}", "button": "Assign"})


def review_record(request, pk):
    case, review = _review(request, pk, perms.can_record_review)
    form = ReviewOutcomeForm(request.POST or None)
    done_url = reverse("placements:case_reviews", args=[case.pk])
    done = submit(request, form, lambda d: services.record_review(user=request.user, review_id=review.pk, **d),
                  success=lambda r: f"Review of {r.placement} recorded", done_url=done_url)
    return done or render(request, "placements/review_form.html", {
        "form": form, "case": case, "review": review, "back_url": done_url,
        "heading": f"Record the review of {review.placement}", "button": "Save the review"})


# --- the register ------------------------------------------------------------------------------------------------

PUBLIC_FIELDS = ["case", "provider", "route", "started", "at_risk_from", "at_risk_until", "suspended_from",
                 "suspended_until", "ended", "outcome", "made_public", "made_public_on", "public_summary"]
INTERNAL_FIELDS = PUBLIC_FIELDS + ["internal_detail"]


def _register_rows(episodes, internal: bool):
    for e in episodes:
        entry = e.entry
        row = {"case": e.case.reference, "provider": e.case.provider.name, "route": e.route_label,
               "started": e.started_on, "at_risk_from": e.at_risk_from or "", "at_risk_until": e.at_risk_until or "",
               "suspended_from": e.suspended_from or "", "suspended_until": e.suspended_until or "",
               "ended": e.ended_on or "", "outcome": e.outcome, "made_public": "Yes" if e.made_public else "No",
               "made_public_on": (entry.made_public_on or "") if entry else "",
               "public_summary": (selectors.WITHHELD if entry.withheld else entry.public_summary) if entry else ""}
        if internal:
            row["internal_detail"] = (entry.internal_detail if entry else "") if e.cleared else "Restricted"
        yield {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def register(request, internal=False):
    if not perms.can_see_register(request.user):
        raise PermissionDenied
    form = RegisterFilterForm(request.GET or None)
    refused = form.is_bound and not form.is_valid()  # a CSV of everything is not what was asked for: say why
    found = selectors.filter_episodes(selectors.episodes(request.user), **form.filters())
    if (internal or request.GET.get("format") == "csv") and not refused:
        name = "register-of-suspensions-internal.csv" if internal else "register-of-suspensions.csv"
        response = csv_response(name)
        writer = SafeDictWriter(response, fieldnames=INTERNAL_FIELDS if internal else PUBLIC_FIELDS)
        writer.writeheader()
        writer.writerows(_register_rows(found, internal))
        return response
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "placements/register.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "may_keep": {e.start_log_id for e in page if perms.can_keep_register(request.user, e.case)}},
        status=400 if refused else 200)


def register_internal_csv(request):
    return register(request, internal=True)


def register_entry(request, case_id, log_id):
    case = _case(request, case_id, perms.can_keep_register)
    require(perms.can_keep_register, request.user, case)
    episode = selectors.episode_of(request.user, case, log_id)
    if episode is None:
        raise PermissionDenied("That episode is not on this case's route")
    entry = episode.entry
    initial = {"public_summary": entry.public_summary, "internal_detail": entry.internal_detail,
               "made_public": entry.made_public, "made_public_on": entry.made_public_on} if entry else {}
    form = RegisterEntryForm(request.POST or None, initial=initial)
    done_url = reverse("placements:register")
    done = submit(request, form, lambda d: services.save_register_entry(
        user=request.user, case_id=case.pk, episode_start_id=episode.start_log_id, **d),
        success=f"Register entry for {case.reference} saved", done_url=done_url)
    return done or render(request, "placements/register_entry_form.html", {
        "form": form, "case": case, "episode": episode, "back_url": done_url,
        "heading": f"Register entry: {case.provider}, from {long_date(episode.started_on)}"})


# --- closure plans ------------------------------------------------------------------------------------------------

def closure_plan(request, case_id):
    case = _case(request, case_id)
    plan = selectors.closure_plan_of(case)
    residents = notices = plan_deadlines = []
    if plan:
        residents = list(plan.residents.select_related("placement__placing_authority", "new_provider", "updated_by"))
        notices = list(plan.notices.select_related("authority", "notified_by"))
        plan_deadlines = list(Deadline.objects.filter(case=case, kind=Deadline.Kind.CLOSURE_PLAN,
                                                      key__startswith=f"closure_plan:{plan.pk}:"))
        for deadline in plan_deadlines:
            deadline.cleared = True  # this page is only for people cleared for the case
    return render(request, "placements/closure_plan.html", {
        "case": case, "plan": plan, "residents": residents, "notices": notices, "plan_deadlines": plan_deadlines,
        "not_recorded": [r for r in residents if not r.move_recorded],
        "may_open": plan is None and perms.can_open_closure_plan(request.user, case),
        "may_update": plan is not None and plan.is_open and perms.can_update_closure_plan(request.user, case),
        "may_close": plan is not None and plan.is_open and perms.can_close_closure_plan(request.user, case),
        "form": ConfirmForm()})


def closure_open(request, case_id):
    case = _case(request, case_id, perms.can_open_closure_plan)
    require(perms.can_open_closure_plan, request.user, case)
    form = ConfirmForm(request.POST or None)
    done_url = reverse("placements:closure_plan", args=[case.pk])
    done = submit(request, form, lambda d: services.open_closure_plan(user=request.user, case_id=case.pk),
                  success="Closure plan opened", done_url=done_url)
    return done or render(request, "placements/confirm.html", {
        "form": form, "case": case, "back_url": done_url, "heading": f"Open a closure plan for {case.provider}",
        "button": "Open the closure plan",
        "intro": "Every person placed with the provider becomes a resident row, every other placing authority with "
                 "people there is listed to be told, and the plan's deadlines are set."})


def closure_close(request, case_id):
    case = _case(request, case_id, perms.can_close_closure_plan)
    require(perms.can_close_closure_plan, request.user, case)
    plan = selectors.closure_plan_of(case)
    if plan is None:
        raise PermissionDenied("This case has no closure plan")
    form = ConfirmForm(request.POST or None)
    done_url = reverse("placements:closure_plan", args=[case.pk])
    done = submit(request, form, lambda d: services.close_closure_plan(user=request.user, plan_id=plan.pk),
                  success="Closure plan closed", done_url=done_url)
    return done or render(request, "placements/confirm.html", {
        "form": form, "case": case, "back_url": done_url, "heading": f"Close the closure plan for {case.provider}",
        "button": "Close the plan",
        "intro": "A plan closes once every resident's move is recorded: staying, or moved with a date and a new "
                 "provider."})


def resident_update(request, pk):
    resident = get_object_or_404(ClosureResident.objects.select_related("placement", "plan", "new_provider"), pk=pk)
    case = _case(request, resident.plan.case_id, perms.can_update_closure_plan)
    require(perms.can_update_closure_plan, request.user, case)
    form = ResidentForm(request.POST or None, closing_provider=case.provider, initial={
        "status": resident.status, "move_date": resident.move_date,
        "new_provider": resident.new_provider.cqc_location_id if resident.new_provider_id else "",
        "new_provider_elsewhere": resident.new_provider_elsewhere})
    done_url = reverse("placements:closure_plan", args=[case.pk])
    done = submit(request, form, lambda d: services.update_resident(user=request.user, resident_id=resident.pk, **d),
                  success=lambda r: f"{r.placement} updated", done_url=done_url)
    return done or render(request, "placements/review_form.html", {
        "form": form, "case": case, "back_url": done_url,
        "heading": f"Record the move of resident {resident.placement}", "button": "Save"})


def notice_done(request, pk):
    notice = get_object_or_404(AuthorityNotice.objects.select_related("authority", "plan"), pk=pk)
    case = _case(request, notice.plan.case_id, perms.can_update_closure_plan)
    require(perms.can_update_closure_plan, request.user, case)
    form = NotifiedForm(request.POST or None)
    done_url = reverse("placements:closure_plan", args=[case.pk])
    done = submit(request, form, lambda d: services.record_authority_notified(
        user=request.user, notice_id=notice.pk, notified_on=d["notified_on"]),
        success=lambda n: f"{n.authority} recorded as notified", done_url=done_url)
    return done or render(request, "placements/review_form.html", {
        "form": form, "case": case, "back_url": done_url, "heading": f"Record that {notice.authority} was told",
        "button": "Save"})
