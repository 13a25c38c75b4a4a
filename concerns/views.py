from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.permissions import can_manage_risk_matrix
from audit.services import events_for
from core.csv_export import SafeDictWriter, csv_response
from core.views import STALE_MESSAGE, submit
from providers.models import Provider

from . import permissions as perms
from . import selectors, services
from .criteria import ENGAGEMENT, IMPACT
from .forms import (
    AdviceForm,
    CloseConcernForm,
    ConcernFilterForm,
    ConcernForm,
    EvidenceForm,
    JqmmForm,
    JqmmOutcomeForm,
    MonitoringForm,
    RiskAssessmentForm,
    RiskMatrixForm,
    RouteForm,
    ShareForm,
)
from .models import Concern, EvidenceFile, JqmmMeeting, RiskMatrix


def _concern_for(request, pk) -> Concern:
    """The concern, if this person is cleared to see it; otherwise 403, and the attempt is recorded."""
    concern = get_object_or_404(Concern.objects.select_related("provider", "logged_by", "case", "jqmm"), pk=pk)
    if not perms.is_cleared(request.user, concern):
        if perms.can_see_concerns(request.user):
            services.log_restricted_access_denied(user=request.user, concern=concern)
        raise PermissionDenied("This concern is safeguarding-restricted")
    return concern


PAGE_SIZE = 25  # concerns a page in the list (the CSV has every one)
LIST_FIELDS = ("id", "reference", "restricted", "received_on", "source", "state", "provider__id", "provider__name")


def concern_list(request):
    if not perms.can_see_concerns(request.user):
        raise PermissionDenied
    form = ConcernFilterForm(request.GET or None)
    # The list and its CSV show a concern's reference, provider, dates, source and status: only those are read.
    concerns = (selectors.filtered_concerns(request.user, **form.filters()).select_related(None)
                .select_related("provider").only(*LIST_FIELDS))
    if request.GET.get("format") == "csv":
        return _concerns_csv(concerns)
    page = CappedPaginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "concerns/concern_list.html", {"form": form, "page": page, "cap": f"{COUNT_CAP:,}"})


COUNT_CAP = 1000  # the list counts its matches up to this many; the CSV has every one


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 matches: a search or filter matching thousands of concerns is paged up to the
    COUNT_CAP-th and says there are more, rather than counting every one on each page (at 250,000 concerns an
    exact count was most of the list's time). `capped` says whether there were more."""

    capped = False

    @cached_property
    def count(self):
        found = self.object_list.order_by()[:COUNT_CAP + 1].count()
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)


CONCERN_CSV_FIELDS = ["reference", "provider", "received", "source", "status", "restricted", "details"]
LEFT_OUT = "Left out: safeguarding-restricted, and you are not cleared for it"


def _concerns_csv(concerns):
    """The filtered list as CSV, as the list shows it: a concern the person is not cleared for gives only its
    reference and that it is restricted."""
    response = csv_response("concerns.csv")
    writer = SafeDictWriter(response, fieldnames=CONCERN_CSV_FIELDS)
    writer.writeheader()
    for c in concerns.iterator(chunk_size=2000):
        row = {"reference": c.reference, "restricted": "yes" if c.restricted else "no", "details": LEFT_OUT}
        if c.cleared:
            row.update(provider=c.provider.name, received=c.received_on.isoformat(), source=c.get_source_display(),
                       status=c.get_state_display(), details="")
        writer.writerow(row)
    return response


def concern_create(request, provider_id=None):
    if not perms.can_log_concern(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=provider_id) if provider_id else None
    form = ConcernForm(request.POST or None, request.FILES or None, provider=provider)
    done = submit(request, form, lambda d: services.log_concern(
        user=request.user, provider_id=d["provider"].pk, data=form.concern_data(), files=d["evidence"]),
        done_url=lambda concern: concern,
        success=lambda concern: f"Concern {concern.reference} logged" + (
            ". It is safeguarding-restricted: record the safeguarding advice next." if concern.restricted else "."))
    return done or render(request, "concerns/concern_form.html", {"form": form, "provider": provider})


def concern_detail(request, pk):
    concern = _concern_for(request, pk)
    user = request.user
    return render(request, "concerns/concern_detail.html", {
        "concern": concern,
        "evidence": concern.evidence.all(),
        "advice": concern.advice.select_related("recorded_by"),
        "monitoring": concern.monitoring.select_related("recorded_by"),
        "assessments": concern.risk_assessments.select_related("assessed_by", "matrix"),
        "events": events_for(concern)[:50],
        "shared_with": concern.shared_with.all(),
        "can": {
            "advice": perms.can_record_advice(user, concern) and concern.is_open,
            "route": perms.can_route(user, concern) and concern.state == Concern.State.AWAITING_ROUTING,
            "monitor": perms.can_start_monitoring(user, concern) and concern.is_open,
            "assess": perms.can_assess_risk(user, concern) and concern.is_open,
            "evidence": perms.can_add_evidence(user, concern),
            "share": perms.can_share(user, concern),
            "open_case": perms.can_open_case(user) and concern.state == Concern.State.FURTHER_ACTION
            and concern.case_id is None,
            "close": perms.can_close_concern(user, concern),
        },
    })


def _concern_action(request, pk, *, check, form_class, template, run, form_kwargs=None, success=""):
    """Shared shape of the small forms on a concern: check, validate, call the service, explain refusals."""
    concern = _concern_for(request, pk)
    if not check(request.user, concern):
        raise PermissionDenied
    form = form_class(request.POST or None, request.FILES or None, **(form_kwargs or {}))
    if request.method == "GET" and "expected_state" in form.fields:
        form.fields["expected_state"].initial = concern.state
    done = submit(request, form, lambda data: run(concern, data), success=success, done_url=concern,
                  stale=services.StaleConcern, refusal_message=STALE_MESSAGE)
    return done or render(request, template, {"form": form, "concern": concern})


def advice_create(request, pk):
    return _concern_action(
        request, pk, check=perms.can_record_advice, form_class=AdviceForm,
        template="concerns/advice_form.html", success="Safeguarding advice recorded",
        run=lambda c, d: services.record_safeguarding_advice(
            user=request.user, concern_id=c.pk, adviser=d["adviser"], advised_on=d["advised_on"],
            advice=d["advice"], expected_state=d["expected_state"]),
    )


def close(request, pk):
    return _concern_action(
        request, pk, check=perms.can_close_concern, form_class=CloseConcernForm,
        template="concerns/close_form.html", success="Concern closed",
        run=lambda c, d: services.close_concern(user=request.user, concern_id=c.pk, notes=d["notes"],
                                                expected_state=d["expected_state"]),
    )


def _route(user, concern, d):
    if d["route"] == "jqmm":
        return services.route_to_jqmm(user=user, concern_id=concern.pk, meeting_id=d["meeting"].pk,
                                      expected_state=d["expected_state"])
    return services.route_to_further_action(user=user, concern_id=concern.pk, reason=d["reason"],
                                            expected_state=d["expected_state"])


def route(request, pk):
    return _concern_action(
        request, pk, check=perms.can_route, form_class=RouteForm, template="concerns/route_form.html",
        success="Concern routed", run=lambda c, d: _route(request.user, c, d),
    )


def monitoring_create(request, pk):
    return _concern_action(
        request, pk, check=perms.can_start_monitoring, form_class=MonitoringForm,
        template="concerns/monitoring_form.html", success="Same-day monitoring started",
        run=lambda c, d: services.start_same_day_monitoring(
            user=request.user, concern_id=c.pk, monitoring_date=d["monitoring_date"],
            carried_out_by=d["carried_out_by"], note=d["note"]),
    )


def evidence_add(request, pk):
    return _concern_action(
        request, pk, check=perms.can_add_evidence, form_class=EvidenceForm,
        template="concerns/evidence_form.html", success="Evidence added",
        run=lambda c, d: services.add_evidence(user=request.user, concern_id=c.pk, files=d["evidence"]),
    )


def share(request, pk):
    concern = _concern_for(request, pk)
    return _concern_action(
        request, pk, check=perms.can_share, form_class=ShareForm, template="concerns/share_form.html",
        form_kwargs={"concern": concern}, success="Concern shared",
        run=lambda c, d: services.share_concern(user=request.user, concern_id=c.pk, colleague=d["colleague"]),
    )


def evidence_download(request, pk, evidence_id):
    concern = _concern_for(request, pk)
    evidence = get_object_or_404(EvidenceFile, pk=evidence_id, concern=concern)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)


def risk_assessment_create(request, pk):
    concern = _concern_for(request, pk)
    if not perms.can_assess_risk(request.user, concern):
        raise PermissionDenied
    matrix = RiskMatrix.current()
    form = RiskAssessmentForm(request.POST or None, matrix=matrix)
    if request.POST.get("action") != "preview":  # "Check the risk level" only shows the recommendation
        done = submit(request, form, lambda d: services.record_risk_assessment(
            user=request.user, concern_id=concern.pk, engagement=d["engagement"], impact=d["impact"],
            level=d["level"] or None, override_reason=d["override_reason"], notes=d["notes"]),
            success="Risk assessment recorded", done_url=concern)
        if done:
            return done
    recommended = None
    if request.method == "POST":
        form.is_valid()  # the recommendation is worked out from the answers while they are checked
        recommended = form.recommended()
    return render(request, "concerns/risk_assessment_form.html", {
        "form": form, "concern": concern, "matrix": matrix, "recommended": recommended,
        "engagement_criteria": ENGAGEMENT, "impact_criteria": IMPACT,
    })


def jqmm_list(request):
    if not perms.can_see_concerns(request.user):
        raise PermissionDenied
    return render(request, "concerns/jqmm_list.html", {
        "meetings": JqmmMeeting.objects.select_related("chair").annotate(agenda_size=Count("agenda"))
        .order_by("-meeting_date")[:50],
        "next_jqmm": selectors.next_jqmm(),
        "can_schedule": perms.can_schedule_jqmm(request.user),
    })


def jqmm_create(request):
    if not perms.can_schedule_jqmm(request.user):
        raise PermissionDenied
    form = JqmmForm(request.POST or None)
    done = submit(request, form, lambda d: services.schedule_jqmm(user=request.user, chair=request.user, **d),
                  success=lambda meeting: f"{meeting} scheduled", done_url=lambda meeting: meeting)
    return done or render(request, "concerns/jqmm_form.html", {"form": form})


def jqmm_detail(request, pk):
    if not perms.can_see_concerns(request.user):
        raise PermissionDenied
    meeting = get_object_or_404(JqmmMeeting, pk=pk)
    agenda = list(selectors.jqmm_agenda(request.user, meeting))
    for item in agenda:
        item.can_record_outcome = (item.cleared and item.state == Concern.State.ON_JQMM_AGENDA
                                   and meeting.meeting_date <= timezone.localdate()
                                   and perms.can_record_jqmm_outcome(request.user, item))
    return render(request, "concerns/jqmm_detail.html", {"meeting": meeting, "agenda": agenda})


def jqmm_outcome(request, pk, concern_id):
    meeting = get_object_or_404(JqmmMeeting, pk=pk)
    concern = _concern_for(request, concern_id)
    if concern.jqmm_id != meeting.pk:
        raise Http404
    if not perms.can_record_jqmm_outcome(request.user, concern):
        raise PermissionDenied
    form = JqmmOutcomeForm(request.POST or None, initial={"expected_state": concern.state})
    done = submit(request, form, lambda d: services.record_jqmm_outcome(
        user=request.user, concern_id=concern.pk, further_action=d["outcome"] == "further_action", notes=d["notes"],
        expected_state=d["expected_state"]), success=f"Outcome recorded for {concern.reference}", done_url=meeting,
        stale=services.StaleConcern, refusal_message=STALE_MESSAGE)
    return done or render(request, "concerns/jqmm_outcome_form.html", {"form": form, "meeting": meeting,
                                                                       "concern": concern})


def risk_matrix(request):
    return render(request, "concerns/risk_matrix.html", {
        "matrix": RiskMatrix.current(), "versions": RiskMatrix.objects.select_related("created_by")[:20],
        "can_edit": can_manage_risk_matrix(request.user),
    })


def risk_matrix_new(request):
    if not can_manage_risk_matrix(request.user):
        raise PermissionDenied
    current = RiskMatrix.current()
    form = RiskMatrixForm(request.POST or None, current=current)
    done = submit(request, form, lambda d: services.create_matrix_version(user=request.user, cells=form.cells(),
                                                                          note=d["note"]),
                  success=lambda matrix: f"{matrix} is now in use", done_url="concerns:risk_matrix")
    if done:
        return done
    rows = [(e, [form[f"cell_{e}_{i}"] for i in range(6)]) for e in range(5)]
    return render(request, "concerns/risk_matrix_form.html", {"form": form, "rows": rows, "current": current})
