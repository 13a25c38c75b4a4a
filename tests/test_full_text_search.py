"""Full-text search on the concerns list and the provider register (PostgreSQL; "contains" on SQLite): words in any
order and form, through GIN indexes, never finding a restricted concern by its text for someone not cleared for
it, and harmless whatever is typed."""

import importlib
import types

import pytest
from django.db import connection
from django.urls import reverse

from accounts import roles
from concerns.models import Concern
from concerns.selectors import CONCERN_TEXT
from core import search
from core.search import text_match
from home.selectors import PROVIDER_TEXT
from providers.models import Provider
from tests.factories import ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

NASTY = [
    "'); DROP TABLE concerns_concern; --",
    "\" OR 1=1 --",
    "<script>alert('found')</script>",
    "<img src=x onerror=alert(1)>",
    "falls & | ! ( ) : * \\",
    "\"unfinished quote",
    "-",
    "the",
    "%_%",
]


def concerns_found(client, q) -> str:
    response = client.get(reverse("concerns:list"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def providers_found(client, q) -> str:
    response = client.get(reverse("providers:list"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def concerns(officer):
    oak = ProviderFactory(name="Oakwood Lodge")
    return {
        "falls": ConcernFactory(provider=oak, description="Resident falls on the stairs at night, twice this week"),
        "staffing": ConcernFactory(description="Staffing gaps at night; agency staff not inducted"),
        "hidden": ConcernFactory(safeguarding=True, description="Unexplained bruising on a resident's forearm",
                                 logged_by=UserFactory(roles=[roles.CONTRACT_OFFICER])),
    }


def test_words_are_found_in_any_order_and_form(client, officer, concerns):
    client.force_login(officer)
    html = concerns_found(client, "falling")  # English stemming: falling, falls, fall
    assert concerns["falls"].reference in html and concerns["staffing"].reference not in html
    html = concerns_found(client, "night staff")  # both words, in any order and form
    assert concerns["staffing"].reference in html and concerns["falls"].reference not in html
    html = concerns_found(client, "night")
    assert concerns["falls"].reference in html and concerns["staffing"].reference in html
    html = concerns_found(client, "stairs or agency")  # the web-search "or"
    assert concerns["falls"].reference in html and concerns["staffing"].reference in html
    html = concerns_found(client, "night -agency")  # and "-word" leaves out
    assert concerns["falls"].reference in html and concerns["staffing"].reference not in html
    html = concerns_found(client, "oakwood")  # the provider's name still finds its concerns
    assert concerns["falls"].reference in html and concerns["staffing"].reference not in html


def test_an_uncleared_person_cannot_find_a_restricted_concern_by_its_text(client, officer, cqm, concerns):
    hidden = concerns["hidden"]
    client.force_login(officer)
    for q in ("bruising", "unexplained bruise", "forearm"):
        assert hidden.reference not in concerns_found(client, q), q
    assert hidden.reference in concerns_found(client, hidden.reference)  # its reference finds it, as before
    # The person who logged it, a CQM, and someone it was shared with are cleared, and find it.
    colleague = UserFactory(roles=[roles.CONTRACT_OFFICER])
    hidden.shared_with.add(colleague)
    for person in (hidden.logged_by, cqm, colleague):
        client.force_login(person)
        assert hidden.reference in concerns_found(client, "bruising"), person


def test_the_fallback_without_full_text_search_keeps_the_clearance_rule(client, officer, cqm, concerns, monkeypatch):
    """The SQLite demo: "contains" instead of full-text search, with the same rule."""
    monkeypatch.setattr(search, "full_text", lambda: False)
    client.force_login(officer)
    html = concerns_found(client, "falls on the")
    assert concerns["falls"].reference in html and concerns["staffing"].reference not in html
    assert concerns["hidden"].reference not in concerns_found(client, "bruising")
    client.force_login(cqm)
    assert concerns["hidden"].reference in concerns_found(client, "bruising")
    assert "Oakwood Lodge" in providers_found(client, "wood lod")


def test_the_provider_register_is_searched_by_words_too(client, officer):
    ProviderFactory(name="Oakwood Lodge Care Home", postcode="NF1 2AB", cqc_location_id="1-101000001")
    ProviderFactory(name="Riverside Nursing Home", postcode="EB4 5EF", cqc_location_id="1-101000002")
    client.force_login(officer)
    for q in ("lodges oakwood", "care homes oakwood", "NF1 2AB", "nf12ab", "1-101000001", "oakw"):
        html = providers_found(client, q)
        assert "Oakwood Lodge Care Home" in html and "Riverside Nursing Home" not in html, q
    html = providers_found(client, "nursing homes")
    assert "Riverside Nursing Home" in html and "Oakwood Lodge" not in html


@pytest.mark.parametrize("q", NASTY)
def test_sql_and_markup_in_a_search_are_harmless(client, cqm, concerns, q):
    ProviderFactory(name="Meadow View")
    client.force_login(cqm)
    before = (Concern.objects.count(), Provider.objects.count())
    for html in (concerns_found(client, q), providers_found(client, q)):
        assert "<script>alert" not in html and "<img src=x" not in html
        if "<" in q:
            assert "&lt;" in html  # shown back, as text
    assert (Concern.objects.count(), Provider.objects.count()) == before
    csv = client.get(reverse("providers:list"), {"q": q, "format": "csv"})
    assert csv.status_code == 200


def test_a_search_can_find_text_that_looks_like_markup_without_running_it(client, cqm):
    concern = ConcernFactory(description="Staff wrote <script>alert('x')</script> in the care notes")
    client.force_login(cqm)
    html = concerns_found(client, "staff wrote care notes")
    assert concern.reference in html and "<script>alert" not in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN indexes are PostgreSQL's")
def test_the_gin_indexes_serve_the_searches():
    """Each index's expression (migrations concerns.0005 and providers.0004) is the one core.search writes:
    with sequential scans off, the planner reaches for the index."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Concern.objects.filter(text_match("falls", *CONCERN_TEXT)).explain()
    assert "concern_text_search" in plan, plan
    plan = Provider.objects.filter(text_match("oakwood", *PROVIDER_TEXT)).explain()
    assert "provider_text_search" in plan, plan


@pytest.mark.parametrize("module", ["concerns.migrations.0005_concern_text_search",
                                    "providers.migrations.0004_provider_text_search"])
def test_the_index_migrations_do_nothing_on_sqlite(module):
    migration = importlib.import_module(module)
    ran = []
    editor = types.SimpleNamespace(connection=types.SimpleNamespace(vendor="sqlite"), execute=ran.append)
    migration.forwards(None, editor)
    migration.backwards(None, editor)
    assert ran == []
    editor.connection.vendor = "postgresql"
    migration.forwards(None, editor)
    assert ran == [migration.CREATE]
