from csp.decorators import csp_exempt
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.permissions import can_manage_register
from concerns import permissions as concern_perms
from concerns import selectors as concern_selectors
from core.charts import risk_over_time_svg
from core.views import submit
from escalation import permissions as case_perms

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
    open_concerns = [c for c in concerns if c.is_open]
    closed_concerns = [c for c in concerns if not c.is_open]
    assessments = _visible_assessments(request.user, provider)
    return render(request, "providers/provider_detail.html", {
        "provider": provider, "open_concerns": open_concerns, "closed_concerns": closed_concerns,
        "assessments": assessments,
        "can_log": concern_perms.can_log_concern(request.user),
        "open_case": provider.cases.open().first(),
        "past_cases": provider.cases.closed(),
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
    done = submit(request, form, lambda d: services.save_provider(user=request.user, form=form),
                  success=lambda provider: f"{provider} saved", done_url=lambda provider: provider)
    return done or render(request, "providers/provider_form.html", {"form": form, "provider": instance})


def provider_import(request):
    if not can_manage_register(request.user):
        raise PermissionDenied
    form = ProviderImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = importer.parse(form.cleaned_data["csv_file"].read())
        if not report.is_valid:
            form.add_error("csv_file", "Nothing was imported: correct the rows listed below and upload the file again")

    def page(counts=None):
        return render(request, "providers/provider_import.html", {"form": form, "report": report, "counts": counts})

    done = submit(request, form, lambda d: services.import_providers(user=request.user, report=report,
                                                                      file_name=d["csv_file"].name),
                  success=None, done_url=None, on_success=page)
    return done or page()
