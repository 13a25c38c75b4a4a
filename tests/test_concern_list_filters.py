"""The concerns list: filters, search, paging and CSV, without telling an uncleared person anything about a
restricted concern beyond its reference and status."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ConcernFactory, ProviderFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def listed(client, **query) -> str:
    return client.get(reverse("concerns:list"), query).content.decode()


def test_filters_and_search_combine(client, officer):
    oak = ProviderFactory(name="Oakwood Lodge")
    old = ConcernFactory(provider=oak, source="complaints", received_on=TODAY - datetime.timedelta(days=40))
    new = ConcernFactory(provider=oak, source="contracts", received_on=TODAY - datetime.timedelta(days=2))
    other = ConcernFactory(source="contracts")
    client.force_login(officer)
    html = listed(client, q="oakwood")
    assert old.reference in html and new.reference in html and other.reference not in html
    html = listed(client, source="contracts")
    assert new.reference in html and other.reference in html and old.reference not in html
    since = TODAY - datetime.timedelta(days=10)
    html = listed(client, received_from_0=since.day, received_from_1=since.month, received_from_2=since.year)
    assert new.reference in html and old.reference not in html
    assert "1 concern" in listed(client, q=new.reference)


def test_an_uncleared_person_learns_nothing_new_about_a_restricted_concern(client, officer):
    oak = ProviderFactory(name="Oakwood Lodge")
    hidden = ConcernFactory(provider=oak, safeguarding=True, source="safeguarding")
    client.force_login(officer)
    assert hidden.reference in listed(client)  # that it exists, by reference
    assert hidden.reference not in listed(client, q="Oakwood")  # not which provider
    assert hidden.reference not in listed(client, source="safeguarding")  # nor its source
    assert hidden.reference not in listed(client, restricted="yes")
    assert hidden.reference in listed(client, q=hidden.reference)  # its own reference finds it
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("concerns:list"), {"format": "csv"}).content.decode())))
    row = next(r for r in rows if r["reference"] == hidden.reference)
    assert row["provider"] == "" and row["source"] == "" and row["restricted"] == "yes"
    assert row["details"] == "Left out: safeguarding-restricted, and you are not cleared for it"  # says so


def test_a_cleared_person_finds_restricted_concerns_by_every_filter(client, cqm):
    hidden = ConcernFactory(provider=ProviderFactory(name="Oakwood Lodge"), safeguarding=True, source="safeguarding")
    client.force_login(cqm)
    for query in ({"q": "Oakwood"}, {"source": "safeguarding"}, {"restricted": "yes"}):
        assert hidden.reference in listed(client, **query), query


def test_impossible_dates_are_errors_on_the_page(client, officer):
    client.force_login(officer)
    response = client.get(reverse("concerns:list"), {"received_from_0": "31", "received_from_1": "2",
                                                      "received_from_2": "2026"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and "must be a real date" in html
    start, end = TODAY, TODAY - datetime.timedelta(days=5)
    html = listed(client, received_from_0=start.day, received_from_1=start.month, received_from_2=start.year,
                  received_to_0=end.day, received_to_1=end.month, received_to_2=end.year)
    assert "must be the same as or after" in html


def test_the_list_is_paged(client, officer):
    for _ in range(30):
        ConcernFactory()
    client.force_login(officer)
    html = listed(client)
    assert "30 concerns" in html and "Page 1 of 2" in html


@pytest.mark.django_db
def test_concerns_sort_newest_or_oldest_first(client):
    from accounts import roles
    from tests.factories import UserFactory

    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    today = timezone.localdate()
    old = ConcernFactory(received_on=today - datetime.timedelta(days=30))
    new = ConcernFactory(received_on=today - datetime.timedelta(days=1))
    client.force_login(officer)
    newest = client.get(reverse("concerns:list")).content.decode()
    oldest = client.get(reverse("concerns:list"), {"sort": "oldest"}).content.decode()
    assert newest.index(new.reference) < newest.index(old.reference)
    assert oldest.index(old.reference) < oldest.index(new.reference)
    bad = client.get(reverse("concerns:list"), {"sort": "provider__name"}).content.decode()
    assert "Choose a sort order from the list" in bad


def test_a_list_matching_more_than_the_cap_says_so_and_the_csv_has_every_one(client, monkeypatch):
    """The list counts its matches only up to COUNT_CAP; past it, it says there are more and pages that many."""
    import concerns.views
    from accounts import roles
    from tests.factories import UserFactory

    monkeypatch.setattr(concerns.views, "COUNT_CAP", 30)
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    for _ in range(32):
        ConcernFactory(logged_by=officer)
    client.force_login(officer)
    html = client.get(reverse("concerns:list")).content.decode()
    assert "More than 30 concerns match: the first 30 in this order are listed here" in html
    assert "Page 1 of 2" in html and "32 concerns" not in html
    last = client.get(reverse("concerns:list"), {"page": 99}).content.decode()  # past the end: the last page
    assert "Page 2 of 2" in last
    csv_rows = client.get(reverse("concerns:list"), {"format": "csv"}).content.decode().strip().splitlines()
    assert len(csv_rows) == 1 + 32
    monkeypatch.setattr(concerns.views, "COUNT_CAP", 40)
    assert "32 concerns" in client.get(reverse("concerns:list")).content.decode()


def test_the_rows_escape_the_providers_name(client):
    """The rows are written in Python (concern_rows): a provider's name from an import is text, never markup."""
    from accounts import roles
    from tests.factories import UserFactory

    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    ConcernFactory(logged_by=officer, provider=ProviderFactory(name='<script>alert("x")</script> & Sons'))
    client.force_login(officer)
    html = client.get(reverse("concerns:list")).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in html
