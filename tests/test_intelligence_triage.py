"""Suggested concerns and early-warning triggers: rules refused at save when they could never fire or would fire on
everything; evaluation (a Celery job) idempotent and explained in words that never quote a concern; an officer
accepts a suggestion into a concern through the concern-logging service, or dismisses it with a reason."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from concerns.models import Concern
from escalation import services as case_services
from intelligence import services, tasks
from intelligence.models import SuggestedConcern, TriggerRule
from tests.factories import ConcernFactory, ProviderFactory
from tests.test_views import concern_post

TODAY = timezone.localdate()


def rule(user, **data):
    base = {"name": "Three complaints in 30 days", "kind": "count", "source": "complaints", "threshold": 3,
            "window_days": 30, "min_level": "", "active": True}
    return services.save_trigger_rule(user=user, rule_id=None, data={**base, **data})


def suggestion(provider, **extra):
    return SuggestedConcern.objects.create(provider=provider, kind="rating_drop", dedup_key=f"k{provider.pk}",
                                           why="CQC rating fell from Good to Inadequate (published 1 May 2026)",
                                           **extra)


# --- rules refused at save ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field, words", [
    ({"window_days": 0}, "window_days", "could never fire"),
    ({"window_days": 3650}, "window_days", "would fire on nearly everything"),
    ({"threshold": 0}, "threshold", "would fire on every provider"),
    ({"threshold": 1, "source": ""}, "threshold", "would fire on every concern logged"),
    ({"threshold": 5000, "window_days": 7}, "threshold", "could never fire"),
    ({"threshold": None}, "threshold", "Enter how many concerns"),
    ({"kind": "at_level", "threshold": None, "min_level": ""}, "min_level", "Choose the escalation level"),
    ({"kind": "at_level", "threshold": None, "min_level": "beyond_sosg"}, "min_level", "could never fire"),
])
@pytest.mark.django_db
def test_a_rule_that_could_never_fire_or_fires_on_everything_is_refused_with_why(client, cqm, data, field, words):
    client.force_login(cqm)
    post = {"name": "Rule", "kind": "count", "source": "complaints", "threshold": "3", "window_days": "30",
            "min_level": "", "active": "on"}
    post.update({k: "" if v is None else str(v) for k, v in data.items()})
    response = client.post(reverse("intelligence:trigger_new"), post)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and words in page, page[page.find("govuk-error-summary"):][:1500]
    assert not TriggerRule.objects.exists()


@pytest.mark.django_db
def test_a_cqm_saves_a_rule_and_an_officer_may_not(client, cqm, officer):
    client.force_login(officer)
    assert client.get(reverse("intelligence:trigger_new")).status_code == 403
    assert client.post(reverse("intelligence:trigger_new"), {"name": "R", "kind": "count", "threshold": "3",
                                                             "window_days": "30"}).status_code == 403
    assert not TriggerRule.objects.exists()
    client.force_login(cqm)
    response = client.post(reverse("intelligence:trigger_new"), {
        "name": "Safeguarding at PPM", "kind": "at_level", "source": "safeguarding", "threshold": "",
        "window_days": "7", "min_level": "ppm", "active": "on"})
    assert response.status_code == 302
    saved = TriggerRule.objects.get()
    assert saved.description == ("any safeguarding concern received within 7 days at a provider whose open "
                                 "escalation case is at Provider performance meeting (PPM) or above")
    assert Event.objects.filter(kind="trigger_rule_created", object_id=str(saved.pk)).exists()
    assert "Safeguarding at PPM" in client.get(reverse("intelligence:triggers")).content.decode()


# --- evaluation ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_three_complaints_in_thirty_days_raise_one_suggestion_that_quotes_nothing(cqm):
    rule(cqm)
    busy, quiet = ProviderFactory(name="Busy Home"), ProviderFactory(name="Quiet Home")
    for days, restricted in ((1, True), (10, False), (29, False)):
        ConcernFactory(provider=busy, source="complaints", received_on=TODAY - datetime.timedelta(days=days),
                       description="SECRET-DETAIL-9", safety_concern=restricted)
    ConcernFactory(provider=quiet, source="complaints", received_on=TODAY - datetime.timedelta(days=40))
    ConcernFactory(provider=quiet, source="complaints")
    ConcernFactory(provider=quiet, source="contracts")  # another source does not count

    assert tasks.evaluate_triggers() == 1  # the Celery job (eager in tests)
    raised = SuggestedConcern.objects.get()
    start = TODAY - datetime.timedelta(days=29)
    from core.dates import long_date
    assert raised.provider == busy and raised.concern_source == "complaints"
    assert raised.why == (f"3 complaints concerns received between {long_date(start)} and {long_date(TODAY)}: the "
                          "rule 'Three complaints in 30 days' fires at 3 or more within 30 days")
    assert "SECRET" not in raised.why
    assert Event.objects.filter(kind="suggested_concern_raised", object_id=str(raised.pk)).count() == 1

    assert tasks.evaluate_triggers() == 0  # idempotent
    ConcernFactory(provider=busy, source="complaints")  # a fourth while the first waits: nothing new
    assert tasks.evaluate_triggers() == 0
    services.dismiss_suggestion(user=cqm, suggestion_id=raised.pk, reason="Known; visit booked")
    assert tasks.evaluate_triggers() == 1  # after triage, the newer count is raised once
    assert tasks.evaluate_triggers() == 0
    assert SuggestedConcern.objects.count() == 2


@pytest.mark.django_db
def test_any_safeguarding_concern_at_a_provider_at_ppm_or_above(cqm):
    rule(cqm, name="Safeguarding at PPM", kind="at_level", source="safeguarding", threshold=None, window_days=7,
         min_level="ppm")
    at_ppm, at_qa = ProviderFactory(name="At PPM"), ProviderFactory(name="At QA")
    case_services.open_case(user=cqm, provider_id=at_ppm.pk, level="ppm", rationale="Serious concerns")
    case_services.open_case(user=cqm, provider_id=at_qa.pk, level="qa", rationale="Quality dip")
    for provider in (at_ppm, at_qa):
        ConcernFactory(provider=provider, source="safeguarding", safety_concern=True, description="SECRET-2")
    found = services.evaluate_triggers()
    assert [s.provider for s in found] == [at_ppm]
    assert "while the provider is at Provider performance meeting (PPM) on the escalation ladder" in found[0].why
    assert "SECRET" not in found[0].why
    assert services.evaluate_triggers() == []


@pytest.mark.django_db
def test_an_inactive_rule_raises_nothing(cqm):
    rule(cqm, active=False)
    provider = ProviderFactory()
    for _ in range(3):
        ConcernFactory(provider=provider, source="complaints")
    assert services.evaluate_triggers() == []


# --- triage ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_officer_accepts_a_suggestion_into_a_concern_in_one_step(client, officer, provider):
    item = suggestion(provider)
    client.force_login(officer)
    queue = client.get(reverse("intelligence:suggestions")).content.decode()
    assert "CQC rating fell from Good to Inadequate" in queue
    form = client.get(reverse("intelligence:suggestion_accept", args=[item.pk])).content.decode()
    assert "CQC rating fell from Good to Inadequate (published 1 May 2026)." in form  # filled in
    data = concern_post(provider, source="internal", safety_concern="False", description=item.why)
    response = client.post(reverse("intelligence:suggestion_accept", args=[item.pk]), data)
    concern = Concern.objects.get()
    assert response.status_code == 302 and response["Location"] == concern.get_absolute_url()
    item.refresh_from_db()
    assert (item.status, item.concern, item.decided_by) == ("accepted", concern, officer)
    assert concern.provider == provider and concern.logged_by == officer
    assert Event.objects.filter(kind="suggested_concern_accepted", object_id=str(item.pk)).exists()
    # Decided: accepting again is refused and changes nothing.
    assert client.post(reverse("intelligence:suggestion_accept", args=[item.pk]), data).status_code == 403
    assert Concern.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_concern_form_keeps_the_suggestion_waiting(client, officer, provider):
    item = suggestion(provider)
    client.force_login(officer)
    response = client.post(reverse("intelligence:suggestion_accept", args=[item.pk]),
                           concern_post(provider, description="", received_on_0="31", received_on_1="2"))
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open" and not Concern.objects.exists()


@pytest.mark.django_db
def test_dismissing_needs_a_reason(client, officer, provider):
    item = suggestion(provider)
    client.force_login(officer)
    url = reverse("intelligence:suggestion_dismiss", args=[item.pk])
    response = client.post(url, {"reason": "  "})
    assert "Enter why you are dismissing this suggestion" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"
    response = client.post(url, {"reason": "Rating already discussed at the JQMM"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.dismiss_reason) == ("dismissed", "Rating already discussed at the JQMM")
    assert "Rating already discussed at the JQMM" in client.get(item.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_people_who_may_not_triage_are_refused_and_nothing_changes(client, auditor, administrator, provider):
    item = suggestion(provider)
    for person in (auditor, administrator):
        client.force_login(person)
        assert client.post(reverse("intelligence:suggestion_dismiss", args=[item.pk]),
                           {"reason": "No"}).status_code == 403
        assert client.post(reverse("intelligence:suggestion_accept", args=[item.pk]),
                           concern_post(provider)).status_code == 403
    client.force_login(administrator)
    assert client.get(reverse("intelligence:suggestions")).status_code == 403
    item.refresh_from_db()
    assert item.status == "open" and not Concern.objects.exists()
    assert not Event.objects.filter(kind__startswith="suggested_concern_").exists()


@pytest.mark.django_db
def test_the_queue_runs_a_fixed_number_of_queries(client, officer, django_assert_max_num_queries):
    for i in range(60):
        SuggestedConcern.objects.create(provider=ProviderFactory(), kind="trigger", dedup_key=f"q{i}", why="x")
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("intelligence:suggestions")).status_code == 200


@pytest.mark.django_db
def test_the_concern_logged_from_a_triggers_suggestion_does_not_fire_the_rule_again(client, cqm, officer):
    rule(cqm)
    provider = ProviderFactory()
    for days in (1, 2, 3):
        ConcernFactory(provider=provider, source="complaints", received_on=TODAY - datetime.timedelta(days=days))
    [raised] = services.evaluate_triggers()
    client.force_login(officer)
    response = client.post(reverse("intelligence:suggestion_accept", args=[raised.pk]),
                           concern_post(provider, source=raised.concern_source, safety_concern="False",
                                        description=raised.why))
    assert response.status_code == 302
    raised.refresh_from_db()
    assert raised.status == "accepted" and raised.concern.source == "complaints"
    assert services.evaluate_triggers() == []  # the accepted concern is the same signal, not a fourth complaint
    ConcernFactory(provider=provider, source="complaints")  # a genuinely new complaint still counts
    [again] = services.evaluate_triggers()
    assert "4 complaints concerns" in again.why
    assert services.evaluate_triggers() == []


@pytest.mark.django_db
def test_a_rule_named_like_one_saved_a_moment_ago_is_an_error_on_the_form_not_a_crash(cqm, monkeypatch):
    from django.core.exceptions import ValidationError

    from audit.models import Event

    rule(cqm)
    # The other person's rule was not there yet when this one was checked: only the database sees the clash.
    monkeypatch.setattr(TriggerRule, "validate_unique", lambda self, exclude=None: None)
    with pytest.raises(ValidationError, match="saved a moment ago"):
        rule(cqm, threshold=4)
    assert TriggerRule.objects.count() == 1 and Event.objects.filter(kind="trigger_rule_created").count() == 1
