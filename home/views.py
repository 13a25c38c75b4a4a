"""Pages that draw on every app: each person's home page, and a provider's page (its concerns, risk history
and cases). They sit above the apps they gather from, so those apps never import each other's pages."""

from csp.decorators import csp_exempt
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.permissions import can_manage_register
from concerns import permissions as concern_perms
from concerns import selectors as concern_selectors
from deadlines import services as deadline_services
from deadlines.forms import CalendarLinkForm
from deadlines.models import CalendarFeedKey
from escalation import permissions as case_perms
from escalation import selectors as case_selectors
from providers.forms import ProviderSearchForm
from providers.models import Provider

from . import selectors
from .charts import risk_over_time_svg
from .context_processors import waiting_for

PAGE = 25  # rows a page on a provider's page
HOME_DEADLINES = 20  # the soonest on My work; the rest are on "Your deadlines"
CHART_POINTS = 100  # the newest assessments drawn on the risk chart


def home(request):
    """Each person lands on their own work."""
    context = selectors.home_for(request.user)
    context["can_log"] = concern_perms.can_log_concern(request.user)
    context["decisions"] = waiting_for(request)
    context["today"] = timezone.localdate()
    due = deadline_services.due_for(request.user)
    context["my_deadlines"] = case_selectors.with_case_clearance(request.user, due[:HOME_DEADLINES])
    context["more_deadlines"] = max(0, due.count() - HOME_DEADLINES) if len(context["my_deadlines"]) == \
        HOME_DEADLINES else 0
    context["can_have_calendar"] = deadline_services.may_have_calendar(request.user)
    context["calendar_key"] = CalendarFeedKey.objects.filter(user=request.user).first()
    if context["can_have_calendar"]:
        context["calendar_form"] = CalendarLinkForm()  # carries the one-time token for the calendar buttons
    return render(request, "home.html", context)


def my_deadlines(request):
    """Deadlines that are overdue or due soon, a page at a time: the person's own (the default), or every case's
    (`scope=all`, for the dashboard's figures); `when=overdue` or `when=week` narrows them."""
    import datetime

    from deadlines.models import Deadline
    from deadlines.services import LIVE

    if not case_perms.can_see_cases(request.user):
        raise PermissionDenied
    every = request.GET.get("scope") == "all"
    when = request.GET.get("when")
    today = timezone.localdate()
    deadlines = (Deadline.objects.filter(status__in=LIVE).select_related("case__provider").order_by("due_date", "pk")
                 if every else deadline_services.due_for(request.user))
    if when == "overdue":
        deadlines, heading = deadlines.filter(due_date__lt=today), "overdue"
    elif when == "week":
        deadlines = deadlines.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=7))
        heading = "due in the next 7 days"
    else:
        deadlines = deadlines.filter(due_date__lte=today + datetime.timedelta(days=14))
        heading = "overdue or due in the next 14 days"
    page = Paginator(deadlines, 50).get_page(request.GET.get("page"))
    page.object_list = case_selectors.with_case_clearance(request.user, page.object_list)
    return render(request, "deadlines/my_deadlines.html", {"page": page, "every": every, "heading": heading})


def dashboard(request):
    """A manager's overview; each figure links to the list behind it."""
    if not case_perms.can_see_cases(request.user):
        raise PermissionDenied
    return render(request, "dashboard.html", selectors.dashboard(request.user))


@require_POST
def notification_read(request, pk):
    note = get_object_or_404(request.user.notifications, pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts={request.get_host()}):
        return redirect(note.link)
    return redirect("home")


def provider_list(request):
    form = ProviderSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.provider_search(q), 25).get_page(request.GET.get("page"))
    return render(request, "providers/provider_list.html", {
        "form": form, "q": q, "page": page, "can_manage": can_manage_register(request.user),
    })


def provider_detail(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=pk)
    concerns = concern_selectors.concern_list(request.user, provider=provider)
    return render(request, "providers/provider_detail.html", {
        # A busy provider has thousands of concerns and assessments: each list is shown a page at a time.
        "provider": provider, "open_concerns": Paginator(concerns.open(), PAGE).get_page(request.GET.get("open")),
        "closed_concerns": Paginator(concerns.closed(), PAGE).get_page(request.GET.get("closed")),
        "assessments": Paginator(selectors.visible_assessments(request.user, provider), PAGE).get_page(
            request.GET.get("assessments")),
        "can_log": concern_perms.can_log_concern(request.user),
        "open_case": provider.cases.open().first(),
        "past_cases": provider.cases.closed(),
        "can_open_case": case_perms.can_open_case(request.user),
        "can_manage": can_manage_register(request.user),
    })


@csp_exempt()  # pygal styles its SVG with an inline <style>; served as an image, so no script can run
def provider_risk_chart(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=pk)
    # The newest CHART_POINTS, oldest first: a busy provider's whole history would be hundreds of KB of SVG.
    assessments = list(selectors.visible_assessments(request.user, provider)[:CHART_POINTS])[::-1]
    svg = risk_over_time_svg(assessments, f"Risk level over time: {provider}")
    return HttpResponse(svg, content_type="image/svg+xml")
