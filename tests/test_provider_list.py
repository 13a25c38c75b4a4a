"""The provider register list: search, filters (service type, placements, the open case and its level), sorting,
a page at a time and CSV of what it shows, with the same number of queries however long the list."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from concerns.models import Concern, RiskAssessment, RiskMatrix
from providers.models import PlacementStatus
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def listed(client, **query) -> str:
    response = client.get(reverse("providers:list"), query)
    assert response.status_code == 200
    return response.content.decode()


def names_in(html: str) -> list[str]:
    """The providers' names in the table, in order."""
    return re.findall(r'<a class="govuk-link" href="/providers/\d+/">([^<]+)</a>', html)


def table(html: str) -> str:
    return html.split("<table", 1)[1].split("</table>", 1)[0] if "<table" in html else ""


def csv_rows(client, **query) -> list[dict]:
    response = client.get(reverse("providers:list"), {**query, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def assess(provider, level, by, concern=None):
    matrix = RiskMatrix.objects.order_by("-version").first()
    return RiskAssessment.objects.create(provider=provider, concern=concern, engagement=1, impact=1, matrix=matrix,
                                         recommended_level=level, level=level, assessed_by=by)


@pytest.fixture
def register(cqm):
    """Four providers: one of each kind the filters tell apart."""
    oak = ProviderFactory(name="Oakwood Lodge", town="Northfield", postcode="NF1 2AB", cqc_location_id="1-101000001",
                          service_types="Care home")
    river = ProviderFactory(name="Riverside Nursing Home", town="Eastbrook", postcode="EB4 5EF",
                            cqc_location_id="1-101000002", service_types="Care home with nursing, Home care",
                            placement_status=PlacementStatus.SUSPENDED)
    meadow = ProviderFactory(name="Meadow View", town="Westmoor", postcode="WM1 2LM", cqc_location_id="1-101000003",
                             service_types="Home care", placement_status=PlacementStatus.AT_RISK)
    elms = ProviderFactory(name="The Elms", town="Southgate", postcode="SG2 4QR", cqc_location_id="1-101000004",
                           service_types="Supported living")
    CaseFactory(provider=river, level="ppm", owner=cqm)
    CaseFactory(provider=meadow, level="sosg", owner=cqm)
    CaseFactory(provider=elms, level="closed", owner=cqm)  # an ended case is not an open case
    return {"oak": oak, "river": river, "meadow": meadow, "elms": elms}


def test_each_filter_and_the_search(client, officer, register):
    client.force_login(officer)
    everyone = {"Oakwood Lodge", "Riverside Nursing Home", "Meadow View", "The Elms"}
    assert set(names_in(listed(client))) == everyone
    # A whole service type: "Care home" is not "Care home with nursing", and a provider with two types has both.
    assert names_in(listed(client, service_type="Care home")) == ["Oakwood Lodge"]
    assert names_in(listed(client, service_type="Home care")) == ["Meadow View", "Riverside Nursing Home"]
    assert names_in(listed(client, placement_status="suspended")) == ["Riverside Nursing Home"]
    assert names_in(listed(client, open_case="yes")) == ["Meadow View", "Riverside Nursing Home"]
    assert names_in(listed(client, open_case="no")) == ["Oakwood Lodge", "The Elms"]
    assert names_in(listed(client, level="none")) == ["Oakwood Lodge", "The Elms"]
    assert names_in(listed(client, level="ppm")) == ["Riverside Nursing Home"]
    assert names_in(listed(client, level="sosg", placement_status="at_risk")) == ["Meadow View"]
    assert names_in(listed(client, level="qa")) == []
    for q, expected in [("oakwood", "Oakwood Lodge"), ("1-101000002", "Riverside Nursing Home"),
                        ("WM1 2LM", "Meadow View"), ("wm12lm", "Meadow View"), ("Southgate", "The Elms")]:
        assert names_in(listed(client, q=q)) == [expected], q
    html = listed(client, q="lodge", open_case="no", service_type="Care home")
    assert names_in(html) == ["Oakwood Lodge"] and "1 provider matching ‘lodge’" in html


def test_the_service_type_choices_come_from_the_register(client, officer, register):
    client.force_login(officer)
    html = listed(client)
    options = re.findall(r'<option value="([^"]*)"', html.split('name="service_type"')[1].split("</select>")[0])
    assert options == ["", "Care home", "Care home with nursing", "Home care", "Supported living"]


@pytest.mark.parametrize("query, message", [
    ({"service_type": "Castle"}, "Select a service type from the list"),
    ({"placement_status": "closed"}, "Select a placement status from the list"),
    ({"open_case": "maybe"}, "Select whether the provider has an open case from the list"),
    ({"level": "closed"}, "Select a level from the list"),
    ({"sort": "name; DROP TABLE providers_provider"}, "Select a sort order from the list"),
    ({"per_page": "100000"}, "Select 25 or 50 providers per page from the list"),
    ({"q": "x" * 101}, "Search for 100 characters or fewer"),
    ({"open_case": "no", "level": "ppm"}, "This level does not go with the escalation case chosen"),
])
def test_wrong_input_is_a_message_on_the_page_not_a_500(client, officer, register, query, message):
    client.force_login(officer)
    response = client.get(reverse("providers:list"), query)
    html = response.content.decode()
    assert response.status_code == 200, query
    assert "There is a problem" in html and message in html and "<title>Error: Providers" in html
    assert len(names_in(html)) == 4  # the list is shown unfiltered, as on the other lists


def test_sorting_by_name_open_concerns_and_latest_risk(client, officer, cqm, register):
    oak, river, meadow, elms = register["oak"], register["river"], register["meadow"], register["elms"]
    for provider, n in ((meadow, 3), (oak, 1)):
        for _ in range(n):
            ConcernFactory(provider=provider)
    ConcernFactory(provider=river, state=Concern.State.NO_FURTHER_ACTION)  # closed: not counted
    assess(oak, "ppm", officer)
    assess(river, "sosg", officer)
    assess(river, "qa", officer)  # the latest counts, not the highest
    assess(meadow, "jimp", officer)
    # The highest of all, on a restricted concern the officer is not cleared for: only the CQM sees it.
    assess(elms, "sosg", cqm, concern=ConcernFactory(provider=elms, safeguarding=True, logged_by=cqm))
    client.force_login(officer)
    assert names_in(listed(client)) == ["Meadow View", "Oakwood Lodge", "Riverside Nursing Home", "The Elms"]
    html = listed(client, sort="open_concerns")
    assert names_in(html) == ["Meadow View", "Oakwood Lodge", "The Elms", "Riverside Nursing Home"]
    assert 'aria-sort="descending">Open concerns' in html
    html = listed(client, sort="risk")
    assert names_in(html) == ["Meadow View", "Oakwood Lodge", "Riverside Nursing Home", "The Elms"]
    assert "Service operations support group (SOSG)" not in table(html) and "Not assessed" in table(html)
    client.force_login(cqm)
    assert names_in(listed(client, sort="risk"))[0] == "The Elms"


def test_paged_25_or_50_and_a_page_past_the_end_shows_the_last(client, officer):
    for i in range(60):
        ProviderFactory(name=f"Home {i:02d}")
    client.force_login(officer)
    html = listed(client)
    assert "60 providers" in html and "Page 1 of 3" in html and len(names_in(html)) == 25
    html = listed(client, per_page="50", page="2")
    assert "Page 2 of 2" in html and names_in(html) == [f"Home {i:02d}" for i in range(50, 60)]
    html = listed(client, page="99")
    assert "Page 3 of 3" in html and names_in(html) == [f"Home {i:02d}" for i in range(50, 60)]
    assert "Page 1 of 3" in listed(client, page="first")
    # The next page keeps the filters and the sort order.
    html = listed(client, q="home", sort="open_concerns")
    next_link = re.search(r'href="(\?[^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "q=home" in next_link and "sort=open_concerns" in next_link and "page=2" in next_link


def test_the_csv_has_the_filtered_list_in_its_order(client, officer, register):
    ConcernFactory(provider=register["meadow"])
    assess(register["river"], "jimp", officer)
    client.force_login(officer)
    query = {"service_type": "Home care", "sort": "open_concerns", "per_page": "25"}
    shown = names_in(listed(client, **query))
    rows = csv_rows(client, **query)
    assert [r["name"] for r in rows] == shown == ["Meadow View", "Riverside Nursing Home"]
    meadow, river = rows
    assert meadow["open_concerns"] == "1" and meadow["open_case_level"] == "Service operations support group (SOSG)"
    assert meadow["placements"] == "At risk of suspension" and meadow["latest_risk"] == ""
    assert river["latest_risk"] == "Joint inter-agency monitoring panel (JIMP)"
    assert river["service_types"] == "Care home with nursing, Home care" and river["postcode"] == "EB4 5EF"
    assert "Download these providers (CSV)" in listed(client)
    # The whole list, not one page of it.
    for i in range(30):
        ProviderFactory(name=f"Extra {i:02d}")
    assert len(csv_rows(client)) == 34


def test_a_formula_in_a_providers_name_is_text_in_the_csv(client, officer):
    ProviderFactory(name='=HYPERLINK("http://example.com","Click")')
    client.force_login(officer)
    assert csv_rows(client)[0]["name"].startswith("'=")


def _populate(n, cqm):
    levels = ["qa", "ppm", "jimp", "sosg"]
    for i in range(n):
        provider = ProviderFactory(service_types="Care home, Home care")
        concern = ConcernFactory(provider=provider, safeguarding=(i % 3 == 0))
        assess(provider, "ppm", cqm, concern=concern)
        if i % 2:
            CaseFactory(provider=provider, level=levels[i % 4], owner=cqm)


@pytest.mark.parametrize("query", [{}, {"sort": "risk", "per_page": "50"},
                                   {"sort": "open_concerns", "open_case": "yes", "service_type": "Home care"},
                                   {"q": "test care", "level": "none"}])
def test_the_same_number_of_queries_at_any_size(client, officer, cqm, query):
    client.force_login(officer)
    client.get(reverse("providers:list"))  # the session and the device, once
    counts = []
    for more in (3, 27):  # 3, then 30 providers
        _populate(more, cqm)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("providers:list"), query)
        assert response.status_code == 200 and "There is a problem" not in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts
    sql = [q["sql"] for q in queries.captured_queries]
    # The page count leaves out the open-concern count and the latest risk; the page runs each once.
    count = next(s for s in sql if "COUNT(*)" in s and '"providers_provider"' in s)
    assert '"concerns_concern"' not in count and '"concerns_riskassessment"' not in count
    rows = next(s for s in sql if s.startswith('SELECT "providers_provider"."id"') and "LIMIT" in s)
    assert rows.count('FROM "concerns_concern" U0') == 1
