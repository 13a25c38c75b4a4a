"""The provider contact's pages in the providers' portal: their open plan actions and updates, their appeals.

Every page is for a provider contact only (providers.contacts.contact_required: anyone else gets 404), and every
object is looked up among their own providers' records: another provider's id answers 404, the same as an id that
does not exist, and the refusal is logged (core.middleware logs every refused request)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from concerns.permissions import case_is_restricted
from core.views import submit
from escalation.models import DecisionReport, PlanAction
from providers.contacts import contact_required, provider_ids_for

from . import selectors, services
from .forms import ActionUpdateForm, AppealForm
from .models import Appeal
from .participation import in_force_on


@contact_required
@require_safe
def actions(request):
    return render(request, "replies/portal/actions.html", {"groups": selectors.actions_for_contact(request.user)})


@contact_required
@require_http_methods(["GET", "POST"])
def action_update(request, action_id):
    action = get_object_or_404(PlanAction.objects.select_related("plan__case__provider"), pk=action_id,
                               plan__case__provider_id__in=provider_ids_for(request.user))
    case = action.plan.case
    restricted = case_is_restricted(case)
    open_for_updates = services.action_takes_updates(action, case)
    # A form sent after the action closed (completed while the page was open) goes to the service, which refuses
    # it with the reason on the form, rather than a "page not found".
    form = (ActionUpdateForm(request.POST or None, request.FILES or None)
            if open_for_updates or request.method == "POST" else None)
    if form is not None:
        done = submit(request, form, lambda d: services.send_action_update(
            user=request.user, action_id=action.pk, progress=d["progress"], proposed_status=d["proposed_status"],
            files=d["evidence"]), done_url=reverse("replies_portal:actions"),
            success="Your update was sent to the council")
        if done:
            return done
    history = list(action.provider_updates.prefetch_related("evidence").order_by("-submitted_at", "-id"))
    return render(request, "replies/portal/action_update.html", {
        "action": action, "case": case, "restricted": restricted, "form": form, "history": history})


@contact_required
@require_safe
def appeals(request):
    return render(request, "replies/portal/appeals.html", {
        "appealable": selectors.appealable_for_contact(request.user),
        "appeals": list(selectors.appeals_for_contact(request.user)),
        "today": timezone.localdate(), "appeal_days": settings.APPEAL_WORKING_DAYS})


@contact_required
@require_http_methods(["GET", "POST"])
def appeal_create(request, decision_id):
    decision = get_object_or_404(DecisionReport.objects.select_related("case__provider"), pk=decision_id,
                                 kind=DecisionReport.Kind.SUSPENSION,
                                 case__provider_id__in=provider_ids_for(request.user))
    case = decision.case
    current = services.suspension_in_force(case)
    if current is None or current.pk != decision.pk:
        raise Http404("No suspension in force to appeal against")
    in_force = in_force_on(decision)
    closes = services.appeal_window_closes(in_force)
    window_open = timezone.localdate() <= closes
    form = AppealForm(request.POST or None, request.FILES or None)
    done = submit(request, form, lambda d: services.lodge_appeal(
        user=request.user, decision_id=decision.pk, grounds=d["grounds"], files=d["evidence"]),
        done_url=lambda appeal: reverse("replies_portal:appeal_detail", args=[appeal.pk]),
        success="Your appeal was sent to the council")
    if done:
        return done
    return render(request, "replies/portal/appeal_form.html", {
        "decision": decision, "case": case, "in_force_on": in_force, "closes_on": closes,
        "window_open": window_open, "form": form})


@contact_required
@require_safe
def appeal_detail(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("case__provider"), pk=pk,
                               case__provider_id__in=provider_ids_for(request.user))
    return render(request, "replies/portal/appeal_detail.html", {
        "appeal": appeal, "evidence": list(appeal.evidence.all())})
