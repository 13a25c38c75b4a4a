from csp.decorators import csp_exempt
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.permissions import can_manage_register
from concerns import permissions as concern_perms
from concerns import selectors as concern_selectors
from concerns.models import Concern
from core.charts import risk_over_time_svg
from core.once import AlreadySent, already_sent, once
from escalation import permissions as case_perms
from escalation.models import LADDER

from . import importer, selectors, services
from .forms import ProviderForm, ProviderImportForm, ProviderSearchForm
from .models import Provider


def provider_list(request):
    form = ProviderSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.search(q), 25).get_page(request.GET.get("page"))
    return render(request, "providers/provider_list.html", {
        "form": form, "q": q, "page": page, "can_manage": can_manage_register(request.user),
    })


def provider_detail(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=pk)
    concerns = concern_selectors.concern_list(request.user, provider=provider)
    open_concerns = [c for c in concerns if c.state != Concern.State.NO_FURTHER_ACTION]
    closed_concerns = [c for c in concerns if c.state == Concern.State.NO_FURTHER_ACTION]
    assessments = _visible_assessments(request.user, provider)
    return render(request, "providers/provider_detail.html", {
        "provider": provider, "open_concerns": open_concerns, "closed_concerns": closed_concerns,
        "assessments": assessments,
        "can_log": concern_perms.can_log_concern(request.user),
        "open_case": provider.cases.filter(level__in=LADDER).exclude(route="provider_failure").first(),
        "past_cases": provider.cases.exclude(pk__in=provider.cases.filter(level__in=LADDER).exclude(
            route="provider_failure").values("pk")),
        "can_open_case": case_perms.can_open_case(request.user),
        "can_manage": can_manage_register(request.user),
    })


def _visible_assessments(user, provider):
    """Risk history shown only from assessments on concerns this person is cleared to see."""
    return [a for a in provider.risk_assessments.select_related("assessed_by", "concern", "matrix")
            if a.concern is None or concern_perms.is_cleared(user, a.concern)]


@csp_exempt()  # pygal styles its SVG with an inline <style>; served as an image, so no script can run
def provider_risk_chart(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=pk)
    assessments = list(reversed(_visible_assessments(request.user, provider)))
    svg = risk_over_time_svg(assessments, f"Risk level over time: {provider}")
    return HttpResponse(svg, content_type="image/svg+xml")


def provider_edit(request, pk=None):
    if not can_manage_register(request.user):
        raise PermissionDenied
    instance = get_object_or_404(Provider, pk=pk) if pk else None
    form = ProviderForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            provider = once(request, form, lambda: services.save_provider(user=request.user, form=form),
                            done_url=lambda p: p)
        except AlreadySent as exc:
            return already_sent(request, exc)
        messages.success(request, f"{provider} saved")
        return redirect(provider)
    return render(request, "providers/provider_form.html", {"form": form, "provider": instance})


def provider_import(request):
    if not can_manage_register(request.user):
        raise PermissionDenied
    form = ProviderImportForm(request.POST or None, request.FILES or None)
    report = counts = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["csv_file"]
        report = importer.parse(upload.read())
        if report.is_valid:
            try:
                counts = once(request, form, lambda: services.import_providers(
                    user=request.user, report=report, file_name=upload.name))
            except AlreadySent as exc:
                return already_sent(request, exc)
        else:
            form.add_error("csv_file", "Nothing was imported: correct the rows listed below and upload the file again")
    return render(request, "providers/provider_import.html", {"form": form, "report": report, "counts": counts})
