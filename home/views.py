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

from accounts import roles
from accounts.permissions import can_manage_register
from accounts.roles import has_role
from concerns import permissions as concern_perms
from concerns import selectors as concern_selectors
from concerns.models import Concern
from core.csv_export import SafeDictWriter, csv_response
from deadlines import services as deadline_services
from deadlines.forms import CalendarLinkForm
from deadlines.models import CalendarFeedKey
from escalation import permissions as case_perms
from escalation import selectors as case_selectors
from placements import permissions as placement_rules
from providers.models import Provider

from . import selectors
from .charts import SVG_POLICY, risk_over_time_svg
from .context_processors import waiting_for
from .forms import ProviderFilterForm

PAGE = 15  # open concerns a page on a provider's page
HISTORY_PAGE = 10  # closed concerns and risk assessments a page there (history: the newest first, then pages)
HOME_DEADLINES = 10  # the soonest on My work; the rest are on "Your deadlines"
CHART_POINTS = 100  # the newest assessments drawn on the risk chart


def home(request):
    """Each person lands on their own work."""
    context = selectors.home_for(request.user)
    context["can_log"] = concern_perms.can_log_concern(request.user)
    context["may_see_placements"] = placement_rules.can_see_placements(request.user)
    # Providers' updates (the case team answers them) and appeals (a DASS or DMT member who took no part decides)
    context["may_see_replies"] = context["can_log"] or has_role(request.user, roles.DASS, roles.DMT_MEMBER)
    context["decisions"] = waiting_for(request)
    context["today"] = timezone.localdate()
    # The soonest, and one more to know whether "See all your deadlines" has more to show (a count would read
    # every one of a CQM's thousands).
    due = case_selectors.with_case_clearance(request.user,
                                             deadline_services.due_for(request.user)[:HOME_DEADLINES + 1])
    context["my_deadlines"], context["more_deadlines"] = due[:HOME_DEADLINES], len(due) > HOME_DEADLINES
    context["home_deadlines"] = HOME_DEADLINES
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
    """The register, searched, filtered, sorted and a page at a time (a page past the end shows the last one), or
    as CSV (`format=csv`). Input that is not one of the choices is an error on the page, and the list is then
    shown unfiltered, as on the other lists."""
    sees_cases = case_perms.can_see_cases(request.user)
    form = ProviderFilterForm(request.GET or None, service_types=selectors.service_types(), sees_cases=sees_cases)
    filters = form.filters()
    providers = selectors.filtered_providers(request.user, **filters)
    if request.GET.get("format") == "csv":
        return _providers_csv(providers, sees_cases)
    page = Paginator(providers, form.page_size()).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for provider in page.object_list:
        provider.latest_risk_label = selectors.risk_label(provider.latest_risk)
    return render(request, "providers/provider_list.html", {
        "form": form, "q": filters["q"], "sort": filters["sort"], "page": page, "sees_cases": sees_cases,
        "can_manage": can_manage_register(request.user),
    })


PROVIDER_CSV_FIELDS = ["name", "cqc_location_id", "address", "town", "postcode", "service_types", "placements",
                       "open_case_level", "open_concerns", "latest_risk"]


def _providers_csv(providers, sees_cases: bool):
    """The filtered list as CSV, in the list's order, with what the list shows (the open case's level only for
    people who may see cases; the latest risk level as far as the person may see)."""
    from escalation.models import Level

    fields = PROVIDER_CSV_FIELDS if sees_cases else [f for f in PROVIDER_CSV_FIELDS if f != "open_case_level"]
    response = csv_response("providers.csv")
    writer = SafeDictWriter(response, fieldnames=fields)
    writer.writeheader()
    for p in providers.iterator(chunk_size=2000):
        row = {"name": p.name, "cqc_location_id": p.cqc_location_id, "address": p.address, "town": p.town,
               "postcode": p.postcode, "service_types": p.service_types,
               "placements": p.get_placement_status_display(), "open_concerns": p.open_concerns,
               "latest_risk": selectors.risk_label(p.latest_risk)}
        if sees_cases:
            row["open_case_level"] = Level(p.open_case_level).label if p.open_case_level else ""
        writer.writerow(row)
    return response


def provider_detail(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(selectors.with_concern_counts(Provider.objects.all()), pk=pk)
    # The tables show each concern's reference, dates, source and status: only those are read (a busy provider's
    # page otherwise builds every column, and the provider and the logger, of each row).
    concerns = concern_selectors.with_clearance(Concern.objects.filter(provider=provider).only(*TABLE_FIELDS),
                                                request.user)
    cases = list(provider.cases.all())  # a provider has a handful: read once, split here
    return render(request, "providers/provider_detail.html", {
        # A busy provider has thousands of concerns and assessments: each list is shown a page at a time (the
        # concerns' counts came with the provider).
        "provider": provider,
        "open_concerns": page_of(concerns.open(), PAGE, request.GET.get("open"), count=provider.open_count),
        "closed_concerns": page_of(concerns.closed(), HISTORY_PAGE, request.GET.get("closed"),
                                   count=provider.closed_count),
        "assessments": page_of(selectors.visible_assessments(request.user, provider), HISTORY_PAGE,
                               request.GET.get("assessments")),
        "can_log": concern_perms.can_log_concern(request.user),
        "open_case": next((case for case in cases if case.is_open), None),
        "past_cases": [case for case in cases if not case.is_open],
        "can_open_case": case_perms.can_open_case(request.user),
        "can_manage": can_manage_register(request.user),
    })


TABLE_FIELDS = ("id", "reference", "restricted", "received_on", "source", "state", "provider_id")


def page_of(items, per_page, number, *, count=None):
    """Paginator.get_page, with the number of items given when it is already known (no COUNT query)."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached property: this is the value it would have read
    return paginator.get_page(number)


@csp_exempt()  # its own policy below: pygal styles the SVG inline and adds a script of its settings
def provider_risk_chart(request, pk):
    if not concern_perms.can_see_concerns(request.user):
        raise PermissionDenied
    provider = get_object_or_404(Provider, pk=pk)
    # The newest CHART_POINTS, oldest first: a busy provider's whole history would be hundreds of KB of SVG.
    assessments = list(selectors.visible_assessments(request.user, provider)[:CHART_POINTS])[::-1]
    svg = risk_over_time_svg(assessments, f"Risk level over time: {provider}")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_POLICY
    return response
