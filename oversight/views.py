"""Oversight pages: meeting packs (ask, watch, download), the board reports, and a case's whole record."""

from csp.decorators import csp_exempt
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.csv_export import SafeWriter, csv_response
from core.views import submit
from escalation.models import EscalationCase
from home.charts import SVG_POLICY

from . import permissions as perms
from . import reports, services
from .charts import bar_chart
from .forms import PackForm, ReportPeriodForm
from .models import PackJob

REFRESH_SECONDS = 10
RECENT_PACKS = 10
MAX_DAYS = 3 * 366
TOO_LONG = "Choose a period of three years or less"


def packs(request):
    kinds = perms.pack_kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    form = PackForm(request.POST or None, kinds=kinds, initial={"meeting_date": timezone.localdate()})
    created = {}

    def ask(data):
        job, created["new"] = services.request_pack(user=request.user, kind=data["kind"],
                                                    meeting_date=data["meeting_date"])
        return job

    done = submit(request, form, ask, done_url=lambda job: job,
                  success=lambda job: None if created.get("new") else
                  "This pack was already being built: this is its progress")
    return done or render(request, "oversight/packs.html", {
        "form": form,
        "jobs": PackJob.objects.filter(requested_by=request.user).defer("pdf")[:RECENT_PACKS],
    })


def pack(request, pk):
    job = get_object_or_404(PackJob.objects.defer("pdf").select_related("requested_by"), pk=pk)
    if not perms.can_open_pack(request.user, job):
        raise Http404
    readable = job.status == PackJob.Status.DONE and services.still_readable(request.user, job)
    response = render(request, "oversight/pack_job.html", {"job": job, "refresh_seconds": REFRESH_SECONDS,
                                                           "readable": readable})
    if job.is_running:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def pack_download(request, pk):
    job = get_object_or_404(PackJob, pk=pk)
    if not perms.can_open_pack(request.user, job):
        raise Http404
    if job.status != PackJob.Status.DONE:
        raise Http404
    if job.pdf is None:
        messages.info(request, "This pack's PDF was deleted 90 days after the meeting. Build a fresh pack if you "
                               "need one")
        return redirect(job)
    try:
        pdf = services.download_pack(user=request.user, job=job)
    except services.PackOutOfDate as exc:
        messages.error(request, str(exc))
        return redirect(job)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    return response


def _period(request):
    """The reports' period in whole months (reports.whole_months), at most three years; the last twelve months
    unless the person chose otherwise."""
    form = ReportPeriodForm(request.GET or None)
    start, end = reports.default_period(timezone.localdate())
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
        if end < start:  # only one date given, on the far side of the default other end
            start, end = end, start
        if (end - start).days > MAX_DAYS:
            form.add_error("end" if form.cleaned_data.get("end") else "start", TOO_LONG)
            start, end = reports.default_period(timezone.localdate())
    return form, *reports.whole_months(start, end)


def board_reports(request):
    if not perms.can_read_board_reports(request.user):
        raise PermissionDenied
    form, start, end = _period(request)
    wanted = request.GET.get("download")
    if wanted:
        report = reports.BY_KEY.get(wanted)
        if report is None:
            raise Http404
        table = report(start, end, request.user)
        response = csv_response(f"{table['key']}-{start:%Y-%m}-to-{end:%Y-%m}.csv")
        writer = SafeWriter(response)
        writer.writerow(table["columns"])
        writer.writerows(table["rows"])
        return response
    query = f"start_0={start.day}&start_1={start.month}&start_2={start.year}&end_0={end.day}&end_1={end.month}" \
            f"&end_2={end.year}"
    return render(request, "oversight/reports.html", {
        "form": form, "tables": reports.board_reports(start, end, request.user), "start": start, "end": end,
        "query": query, "may_build_packs": bool(perms.pack_kinds_for(request.user))})


@csp_exempt()  # its own policy below: pygal styles the SVG inline and adds a script of its settings
def report_chart(request, key):
    if not perms.can_read_board_reports(request.user):
        raise PermissionDenied
    _form, start, end = _period(request)
    report = reports.BY_KEY.get(key)
    if report is None:
        raise Http404
    table = report(start, end, request.user)
    if not table.get("chart"):
        raise Http404
    response = HttpResponse(bar_chart(table), content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_POLICY
    return response


def case_record(request, pk):
    case = get_object_or_404(EscalationCase.objects.select_related("provider", "owner", "opened_by"), pk=pk)
    data = services.export_case_record(user=request.user, case=case)  # refuses (403, with the reason) itself
    return FileResponse(data, as_attachment=True, filename=f"{case.reference}-whole-record.zip",
                        content_type="application/zip")
