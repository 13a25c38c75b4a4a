from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from audit.services import events_for
from concerns import services as concern_services
from concerns.models import RiskLevel
from core.csv_export import SafeDictWriter, csv_response
from core.once import already_sent, repeat_of
from core.views import submit
from providers.models import Provider

from . import permissions as perms
from . import selectors, services, workflow
from .forms import (
    ActionForm,
    ActionUpdateForm,
    CaseFilterForm,
    LinkConcernForm,
    MeetingForm,
    MoveForm,
    OpenCaseForm,
    PlanForm,
    ProgressNoteForm,
    ReopenForm,
    ReviewForm,
)
from .models import ActionPlan, EscalationCase, MeetingDocument, PlanAction


def require_cleared(request, case) -> None:
    """403 for anyone not cleared for the case's safeguarding-restricted concerns; the attempt is recorded.
    Used by every page that shows what is recorded on a case or acts on it (cases, routes, letters, deadlines)."""
    concern_services.require_case_clearance(user=request.user, case=case)


def _case(request, pk, *, cleared=True) -> EscalationCase:
    """The case, for a person with a role; unless `cleared=False`, only for people cleared to see its details."""
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    case = get_object_or_404(EscalationCase.objects.select_related("provider", "owner", "opened_by", "reopened_as"),
                             pk=pk)
    if cleared:
        require_cleared(request, case)
    return case


class CaseClosed(Exception):
    pass


def _open_case(request, pk) -> EscalationCase:
    """The case for an action that needs it open; a closed case is explained, not refused as a 403."""
    case = _case(request, pk)
    if not case.is_open:
        raise CaseClosed(case)
    return case


def case_list(request):
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    form = CaseFilterForm(request.GET or None)
    cases = selectors.filtered_cases(**form.filters())
    if request.GET.get("format") == "csv":
        return _cases_csv(cases)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "escalation/case_list.html", {"form": form, "page": page})


CASE_CSV_FIELDS = ["reference", "provider", "cqc_location_id", "level", "route", "owner", "opened", "ended"]


def _cases_csv(cases):
    """The filtered list as CSV: what the list shows, for everyone who may see the list (no free text)."""
    response = csv_response("cases.csv")
    writer = SafeDictWriter(response, fieldnames=CASE_CSV_FIELDS)
    writer.writeheader()
    for case in cases.iterator(chunk_size=2000):
        writer.writerow({"reference": case.reference, "provider": case.provider.name,
                         "cqc_location_id": case.provider.cqc_location_id, "level": case.get_level_display(),
                         "route": case.route_summary, "owner": str(case.owner),
                         "opened": case.opened_at.date().isoformat(),
                         "ended": case.closed_at.date().isoformat() if case.closed_at else ""})
    return response


def case_open(request, provider_id):
    if not perms.can_open_case(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=provider_id)
    repeat = repeat_of(request)
    if repeat:
        return already_sent(request, repeat)
    existing = provider.cases.open().first()
    if existing:
        messages.error(request, f"{provider} already has an open case, {existing.reference}: link the concern to it.")
        return redirect(existing)
    recommended = services.recommended_level_for(provider)
    initial = {"concerns": [request.GET["concern"]]} if request.GET.get("concern", "").isdigit() else {}
    form = OpenCaseForm(request.POST or None, provider=provider, recommended=recommended, initial=initial)
    done = submit(request, form, lambda d: services.open_case(
        user=request.user, provider_id=provider.pk, level=d["level"], concern_ids=[c.pk for c in d["concerns"]],
        rationale=d["rationale"], jointly_commissioned=d["jointly_commissioned"]),
        success=lambda case: f"Case {case.reference} opened at {case.get_level_display()}",
        done_url=lambda case: case)
    return done or render(request, "escalation/case_open.html", {
        "form": form, "provider": provider, "recommended": RiskLevel(recommended).label if recommended else None})


def case_detail(request, pk):
    case = _case(request, pk, cleared=False)  # uncleared people see the header and why the rest is hidden
    return render(request, "escalation/case_detail.html", selectors.case_overview(case, request.user))


def case_meetings(request, pk):
    case = _case(request, pk)
    return render(request, "escalation/case_meetings.html", selectors.case_meetings(case, request.user))


def case_plans(request, pk):
    case = _case(request, pk)
    return render(request, "escalation/case_plans.html", selectors.case_plans(case, request.user))


def case_decisions(request, pk):
    case = _case(request, pk)
    return render(request, "escalation/case_decisions.html", selectors.case_decisions(case, request.user))


def case_shared(request, pk):
    """What was shared with the provider in the providers' portal and its replies, updates and appeals (the
    sections are drawn by the portal's and the replies' template tags)."""
    case = _case(request, pk)
    return render(request, "escalation/case_shared.html", selectors.case_header(case, "shared"))


TIMELINE_PAGE = 50


def case_timeline(request, pk):
    """Everything recorded on the case, newest first, a page at a time."""
    case = _case(request, pk)
    page = Paginator(events_for(case), TIMELINE_PAGE).get_page(request.GET.get("page"))
    return render(request, "escalation/case_timeline.html", {**selectors.case_header(case, "timeline"), "page": page})


def case_deadlines(request, pk):
    """Every deadline of the case, a page at a time (the overview shows the first CASE_PAGE_DEADLINES)."""
    case = _case(request, pk)
    page = Paginator(selectors.case_deadlines(case), TIMELINE_PAGE).get_page(request.GET.get("page"))
    for deadline in page.object_list:
        deadline.cleared = True  # _case asked the case's clearance
    return render(request, "escalation/case_deadlines.html", {
        **selectors.case_header(case, "deadlines"), "page": page,
        "can_change_deadlines": perms.can_move_case(request.user, case)})


def _run(request, case, form, template, action, success, context=None, tab=None):
    """Validate, call the service, and turn refusals into plain messages; shared by the case's forms. Done, the
    person sees the page of the case's record that shows what they recorded (`tab`), or its overview."""
    done_url = reverse(f"escalation:{tab}", args=[case.pk]) if tab else case
    done = submit(request, form, action, success=success, done_url=done_url, stale=services.StaleCase)
    return done or render(request, template, {"form": form, "case": case, **(context or {})})


def case_move(request, pk, transition_name):
    case = _case(request, pk)
    if transition_name not in services.LADDER_SERVICES:
        raise Http404
    if not perms.can_move_case(request.user, case):
        raise PermissionDenied("Only a Contracts and Quality Manager moves a case up or down")
    skipping = case.is_open and services.is_skip(case, transition_name)
    form = MoveForm(request.POST or None, skipping=skipping, initial={"expected_level": case.level})
    label = services.ladder_transitions()[transition_name]["label"]
    return _run(request, case, form, "escalation/move_form.html",
                lambda d: services.move_case(user=request.user, case_id=case.pk, transition_name=transition_name,
                                             reason=d["reason"], skip_rationale=d.get("skip_rationale", ""),
                                             expected_level=d["expected_level"]),
                success=f"{label}: done", context={"label": label, "skipping": skipping})


def meeting_create(request, pk):
    case = _open_case(request, pk)
    if not perms.can_record_meeting(request.user, case):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, request.FILES or None, level=case.level)
    if form.adding_row and request.FILES:
        messages.warning(request, "Choose the documents again: files are not kept when you add another attendee")
    return _run(request, case, form, "escalation/meeting_form.html",
                lambda d: services.record_meeting(user=request.user, case_id=case.pk, meeting_date=d["meeting_date"],
                                                  attendees=d["attendees"], provider_attended=d["provider_attended"],
                                                  minutes=d["minutes"], outcome=d["outcome"],
                                                  outcome_notes=d["outcome_notes"], files=d["documents"],
                                                  expected_level=d["expected_level"]),
                success="Meeting recorded")  # the overview: what the meeting allows next, and the moves


def meeting_document(request, pk, document_id):
    case = _case(request, pk)
    doc = get_object_or_404(MeetingDocument, pk=document_id, meeting__case=case)
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=doc.original_name, content_type=doc.content_type)


def plan_create(request, pk):
    case = _open_case(request, pk)
    if not perms.can_manage_plan(request.user, case):
        raise PermissionDenied
    form = PlanForm(request.POST or None)
    return _run(request, case, form, "escalation/plan_form.html",
                lambda d: services.create_plan(user=request.user, case_id=case.pk, kind=d["kind"],
                                               start_date=d["start_date"], review_date=d["review_date"]),
                success="Plan recorded", tab="plans")


def action_create(request, pk, plan_id):
    case = _open_case(request, pk)
    plan = get_object_or_404(ActionPlan, pk=plan_id, case=case)
    if not perms.can_manage_plan(request.user, case):
        raise PermissionDenied
    if plan.kind != ActionPlan.Kind.IMPROVEMENT and plan.level != case.level:
        messages.error(request, "That plan belongs to an earlier level of the case; add actions to the current one")
        return redirect(case)
    form = ActionForm(request.POST or None)
    return _run(request, case, form, "escalation/action_form.html",
                lambda d: services.add_action(user=request.user, plan_id=plan.pk, **d),
                success="Action added", context={"plan": plan}, tab="plans")


def action_update(request, pk, action_id):
    case = _open_case(request, pk)
    item = get_object_or_404(PlanAction, pk=action_id, plan__case=case)
    if not perms.can_manage_plan(request.user, case):
        raise PermissionDenied
    form = ActionUpdateForm(request.POST or None, initial={"status": item.status, "evidence": item.evidence,
                                                           "due_date": item.due_date})
    return _run(request, case, form, "escalation/action_update_form.html",
                lambda d: services.update_action(user=request.user, action_id=item.pk, **d),
                success="Action updated", context={"item": item}, tab="plans")


def progress_note_create(request, pk, action_id):
    case = _open_case(request, pk)
    item = get_object_or_404(PlanAction, pk=action_id, plan__case=case)
    if not perms.can_manage_plan(request.user, case):
        raise PermissionDenied
    form = ProgressNoteForm(request.POST or None)
    return _run(request, case, form, "escalation/progress_note_form.html",
                lambda d: services.add_progress_note(user=request.user, action_id=item.pk, note=d["note"]),
                success="Progress note added", context={"item": item}, tab="plans")


def review_create(request, pk, plan_id):
    case = _open_case(request, pk)
    plan = get_object_or_404(ActionPlan, pk=plan_id, case=case)
    if not perms.can_record_review(request.user, case):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    return _run(request, case, form, "escalation/review_form.html",
                lambda d: services.record_review(user=request.user, plan_id=plan.pk, **d),
                success="Performance review recorded", context={"plan": plan})  # the overview: what it allows


def link_concern(request, pk):
    case = _open_case(request, pk)
    if not perms.can_link_concern(request.user, case):
        raise PermissionDenied
    form = LinkConcernForm(request.POST or None, case=case)
    return _run(request, case, form, "escalation/link_form.html",
                lambda d: services.link_concern(user=request.user, case_id=case.pk, concern_id=d["concern"].pk),
                success="Concern linked")


def reopen(request, pk):
    case = _case(request, pk)
    if not perms.case_may_reopen(request.user, case):
        messages.error(request, perms.case_may_reopen.refusal)
        return redirect(case)
    if not perms.can_reopen(request.user, case):
        raise PermissionDenied
    form = ReopenForm(request.POST or None)
    done = submit(request, form, lambda d: services.reopen_case(user=request.user, case_id=case.pk, level=d["level"],
                                                                reason=d["reason"]),
                  success=lambda new: f"Case reopened as {new.reference}", done_url=lambda new: new)
    return done or render(request, "escalation/reopen_form.html", {"form": form, "case": case})


def how_it_works(request):
    return render(request, "escalation/how_it_works.html", {
        "svg": workflow.svg(), "transitions": workflow.transition_rows("level"),
        "route_transitions": workflow.transition_rows("route"), "permissions": workflow.permission_rows()})


