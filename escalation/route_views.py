from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import roles
from accounts.roles import has_role
from core.csv_export import SafeDictWriter, csv_response
from providers.models import PlacementStatus, Provider

from . import permissions as perms
from . import route_services, selectors
from .forms import (
    DmtDecisionForm,
    NotificationDoneForm,
    PlanForm,
    ReportForm,
    SignOffForm,
    SprgDecisionForm,
    VisitForm,
)
from .models import Route, RouteNotification, SignOff, SprgMeeting
from .views import _case, _open_case, _run


def sprg_decision(request, pk):
    case = _open_case(request, pk)
    if not perms.can_record_sprg_decision(request.user, case):
        raise PermissionDenied("Only SPRG members record the group's decisions")
    form = SprgDecisionForm(request.POST or None, choices=selectors.sprg_choices(case),
                            initial={"expected_route": case.route})
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.record_sprg_decision(user=request.user, case_id=case.pk, **d),
                    success="SPRG decision recorded", context={"heading": "Record an SPRG decision",
                                                               "button": "Record decision"})


def improvement_plan_create(request, pk):
    case = _open_case(request, pk)
    if not perms.can_record_route_work(request.user, case):
        raise PermissionDenied
    form = PlanForm(request.POST or None)
    del form.fields["kind"]
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.create_improvement_plan(user=request.user, case_id=case.pk, **d),
                    success="Improvement plan recorded", context={"heading": "Record the improvement plan",
                                                                  "button": "Save plan"}, tab="plans")


def report_write(request, pk):
    case = _open_case(request, pk)
    if not perms.can_write_report(request.user, case):
        raise PermissionDenied("Only a Contracts and Quality Manager writes the report")
    lifting = case.route == Route.LIFTING_PROPOSED
    form = ReportForm(request.POST or None, lifting=lifting, initial={"expected_route": case.route})
    heading = "Write the report recommending lifting" if lifting else "Write the report recommending suspension"
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.write_report(user=request.user, case_id=case.pk, **d),
                    success="Report saved", context={"heading": heading, "button": "Save report"}, tab="decisions")


def dmt_decision(request, pk):
    case = _open_case(request, pk)
    if not perms.can_record_dmt_decision(request.user, case):
        raise PermissionDenied("Only DMT members record DMT's decision")
    report = case.current_report()
    suspension = case.route == Route.SUSPENSION_PROPOSED
    form = DmtDecisionForm(request.POST or None, suspension=suspension,
                           initial={"expected_route": case.route, "report_version": report.version if report else 0})
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.record_dmt_decision(user=request.user, case_id=case.pk, **d),
                    success="DMT decision recorded",
                    context={"heading": "Record DMT's decision", "button": "Record decision", "report": report})


def sign_off(request, pk):
    case = _open_case(request, pk)
    if not perms.can_sign_off(request.user, case):
        raise PermissionDenied("Only the DASS or an ICB colleague signs off")
    report = case.current_report()
    capacities = []
    if has_role(request.user, roles.DASS):
        capacities.append((SignOff.Capacity.DASS, "DASS (Director of Adult Social Services)"))
    if has_role(request.user, roles.ICB_COLLEAGUE) and case.jointly_commissioned:
        capacities.append((SignOff.Capacity.ICB, "ICB colleague (jointly commissioned)"))
    if not capacities:
        messages.error(request, "There is nothing for you to sign on this case: an ICB sign-off is needed only where "
                                "the service is jointly commissioned.")
        return redirect(case)
    form = SignOffForm(request.POST or None, capacities=capacities,
                       initial={"expected_route": case.route, "report_version": report.version if report else 0})
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.sign_off(user=request.user, case_id=case.pk, capacity=d["capacity"],
                                                      report_version=d["report_version"],
                                                      expected_route=d["expected_route"]),
                    success="Signed off", context={"heading": "Sign off the decision", "button": "Sign off",
                                                   "report": report})


def notification_done(request, pk, notification_id):
    case = _case(request, pk)
    item = get_object_or_404(RouteNotification, pk=notification_id, case=case)
    if not perms.can_keep_route_records(request.user, case):
        raise PermissionDenied
    form = NotificationDoneForm(request.POST or None, request.FILES or None)
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.mark_notification_done(user=request.user, notification_id=item.pk, **d),
                    success=f"{item.recipient} marked as notified",
                    context={"heading": f"Record the notification to {item.recipient}", "button": "Mark as notified"},
                    tab="decisions")


def visit_create(request, pk):
    case = _open_case(request, pk)
    if not perms.can_record_route_work(request.user, case):
        raise PermissionDenied
    form = VisitForm(request.POST or None)
    return _run(request, case, form, "escalation/route_form.html",
                    lambda d: route_services.record_visit(user=request.user, case_id=case.pk, **d),
                    success="Visit recorded", context={"heading": "Record a CQT visit", "button": "Save visit"},
                    tab="meetings")


def notification_copy(request, pk, notification_id):
    from django.http import FileResponse, Http404

    case = _case(request, pk)
    item = get_object_or_404(RouteNotification, pk=notification_id, case=case)
    if not item.copy:
        raise Http404
    try:
        handle = item.copy.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=item.copy_name)


# --- placement status, for brokerage and other systems --------------------------------------------------

def _placement_rows():
    providers = Provider.objects.exclude(placement_status=PlacementStatus.OPEN).select_related("placement_case")
    return [{
        "provider": p.name, "cqc_location_id": p.cqc_location_id, "town": p.town, "postcode": p.postcode,
        "placement_status": p.placement_status, "placement_status_label": p.get_placement_status_display(),
        "since": p.placement_status_since.isoformat() if p.placement_status_since else None,
        "decision": p.placement_decision,
        "case": p.placement_case.reference if p.placement_case else None,
        "provider_failure_flagged_on": p.provider_failure_flagged_on.isoformat()
        if p.provider_failure_flagged_on else None,
        "provider_obj": p,
    } for p in providers.order_by("placement_status", "name")]


def placement_status(request):
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    return render(request, "escalation/placement_status.html", {"rows": _placement_rows()})


FIELDS = ["provider", "cqc_location_id", "town", "postcode", "placement_status", "placement_status_label", "since",
          "decision", "case", "provider_failure_flagged_on"]


def placement_status_csv(request):
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    response = csv_response("placement-status.csv")
    writer = SafeDictWriter(response, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_placement_rows())
    return response


def placement_status_json(request):
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    return JsonResponse({"providers": [{k: r[k] for k in FIELDS} for r in _placement_rows()]})


def sprg_meetings(request):
    if not perms.can_see_cases(request.user):
        raise PermissionDenied
    meetings = list(SprgMeeting.objects.prefetch_related("decisions__case__provider")[:50])
    for meeting in meetings:  # the decisions' reasons only for people cleared for the case
        selectors.with_case_clearance(request.user, meeting.decisions.all())
    return render(request, "escalation/sprg_meetings.html", {"meetings": meetings})


