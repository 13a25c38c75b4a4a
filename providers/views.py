from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from accounts.permissions import can_manage_register
from core.views import submit

from . import selectors, services
from .forms import ProviderForm, ProviderImportForm
from .models import ImportJob, Provider


def provider_edit(request, pk=None):
    if not can_manage_register(request.user):
        raise PermissionDenied
    instance = get_object_or_404(Provider, pk=pk) if pk else None
    form = ProviderForm(request.POST or None, instance=instance)
    done = submit(request, form, lambda d: services.save_provider(user=request.user, form=form),
                  success=lambda provider: f"{provider} saved", done_url=lambda provider: provider)
    return done or render(request, "providers/provider_form.html", {"form": form, "provider": instance})


def provider_import(request):
    """Upload a CSV: the file is checked at once for what makes it unreadable, then imported by a worker while
    the import's own page shows its progress."""
    if not can_manage_register(request.user):
        raise PermissionDenied
    form = ProviderImportForm(request.POST or None, request.FILES or None)

    def start(data):
        upload = data["csv_file"]
        upload.seek(0)
        return services.start_import(user=request.user, file_name=upload.name, content=upload.read())

    done = submit(request, form, start, success=None, done_url=lambda job: job)
    return done or render(request, "providers/provider_import.html", {
        "form": form, "recent": selectors.recent_imports()})


IMPORT_REFRESH_SECONDS = 2


def provider_import_job(request, pk):
    """An import's progress while it runs (the page asks the browser to load it again every few seconds: no
    JavaScript needed), then its result."""
    if not can_manage_register(request.user):
        raise PermissionDenied
    job = get_object_or_404(ImportJob.objects.defer("content").select_related("started_by"), pk=pk)
    response = render(request, "providers/provider_import_job.html", {
        "job": job, "refresh_seconds": IMPORT_REFRESH_SECONDS})
    if job.is_running:
        response["Refresh"] = str(IMPORT_REFRESH_SECONDS)
    return response
