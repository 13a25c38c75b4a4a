"""Council staff's pages: providers' updates and appeals waiting for an answer, one update, one appeal."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.permissions import has_a_role, is_dass, is_dmt_member
from concerns import services as concern_services
from core.views import submit

from . import permissions as perms
from . import selectors, services
from .forms import DecideAppealForm, ReviewUpdateForm
from .models import ActionUpdate, ActionUpdateEvidence, Appeal, AppealEvidence
from .participation import participants


def _staff(request):
    if not has_a_role(request.user):
        raise PermissionDenied


def _cleared(request, case):
    """403 for anyone not cleared for the case's restricted concerns; the attempt is recorded on the case."""
    concern_services.require_case_clearance(user=request.user, case=case)


@require_safe
def index(request):
    _staff(request)
    updates, appeals = selectors.waiting_for_council(request.user)
    return render(request, "replies/index.html", {
        "updates": Paginator(updates, 50).get_page(request.GET.get("page")), "appeals": appeals})


@require_http_methods(["GET", "POST"])
def update_detail(request, pk):
    _staff(request)
    update = get_object_or_404(ActionUpdate.objects.select_related("case__provider", "action__plan", "submitted_by",
                                                                   "reviewed_by"), pk=pk)
    case = update.case
    _cleared(request, case)
    may_review = perms.can_review_update(request.user, update)
    form = ReviewUpdateForm(request.POST or None) if may_review else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(perms.can_review_update.explain(request.user, update))

        def answer(data):
            if data["answer"] == "accept":
                return services.accept_action_update(user=request.user, update_id=update.pk)
            return services.query_action_update(user=request.user, update_id=update.pk, question=data["question"])

        done = submit(request, form, answer, done_url=case.get_absolute_url(),
                      success=lambda u: "Update accepted: the progress is recorded on the action"
                      if u.status == ActionUpdate.Status.ACCEPTED else "Your question was sent to the provider")
        if done:
            return done
    return render(request, "replies/update_detail.html", {
        "update": update, "case": case, "action": update.action, "form": form,
        "evidence": list(update.evidence.all())})


@require_safe
def update_evidence(request, pk, evidence_id):
    _staff(request)
    update = get_object_or_404(ActionUpdate.objects.select_related("case"), pk=pk)
    _cleared(request, update.case)
    return _download(get_object_or_404(ActionUpdateEvidence, pk=evidence_id, update=update))


@require_http_methods(["GET", "POST"])
def appeal_detail(request, pk):
    _staff(request)
    appeal = get_object_or_404(Appeal.objects.select_related("case__provider", "case__owner", "decision",
                                                             "lodged_by", "decided_by", "letter"), pk=pk)
    case = appeal.case
    _cleared(request, case)
    may_decide = perms.can_decide_appeal(request.user, appeal)
    form = DecideAppealForm(request.POST or None) if may_decide else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(perms.can_decide_appeal.explain(request.user, appeal))
        done = submit(request, form, lambda d: services.decide_appeal(user=request.user, appeal_id=appeal.pk,
                                                                      outcome=d["outcome"], reasons=d["reasons"]),
                      done_url=appeal.get_absolute_url(),
                      success="Appeal decided. The outcome letter is drafted for a Contracts and Quality Manager "
                              "to issue.")
        if done:
            return done
    senior = is_dass(request.user) or is_dmt_member(request.user)
    why_not = "" if may_decide or not senior or not appeal.is_open else perms.can_decide_appeal.explain(
        request.user, appeal)
    return render(request, "replies/appeal_detail.html", {
        "appeal": appeal, "case": case, "form": form, "why_not": why_not,
        "evidence": list(appeal.evidence.all()),
        "took_part": sorted(str(u) for u in _people(participants(appeal.decision)))})


def _people(ids):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=ids)


@require_safe
def appeal_evidence(request, pk, evidence_id):
    _staff(request)
    appeal = get_object_or_404(Appeal.objects.select_related("case"), pk=pk)
    _cleared(request, appeal.case)
    return _download(get_object_or_404(AppealEvidence, pk=evidence_id, appeal=appeal))


def _download(item):
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=item.original_name, content_type=item.content_type)
