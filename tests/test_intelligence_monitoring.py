"""Routine monitoring visits (the programme computed in bulk from risk level and CQC rating, idempotent and fast;
a visit's checklist; its findings become a concern in one step), quality audits and CQC information-sharing
meetings."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from concerns.models import Concern, RiskAssessment, RiskMatrix
from intelligence import services
from intelligence.models import (
    AuditStandard,
    CqcMeeting,
    MonitoringVisit,
    QualityAudit,
    Rating,
    VisitFrequency,
    VisitPlan,
    add_months,
)
from providers.models import Provider
from tests.factories import ProviderFactory
from tests.test_views import concern_post

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def intelligence_reference_data(db):
    """Migration data that a transactional test elsewhere in the run may have flushed."""
    from intelligence import reference

    reference.ensure()


def assess(provider, user, level):
    return RiskAssessment.objects.create(provider=provider, engagement=0, impact=0, matrix=RiskMatrix.current(),
                                         recommended_level=level, level=level, assessed_by=user)


def visit_post(**overrides):
    data = {"visited_on_0": TODAY.day, "visited_on_1": TODAY.month, "visited_on_2": TODAY.year,
            "visited_by": "Sam Officer", "staffing": "concern", "staffing_notes": "Two carers on nights for 40",
            "safety": "ok", "medication": "concern", "medication_notes": "MAR charts unsigned",
            "complaints": "not_checked", "records": "ok", "summary": "Follow up within a week"}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_frequencies_come_from_risk_and_rating_with_defaults_in_a_data_migration(cqm):
    assert VisitFrequency.objects.count() == 25
    assert VisitFrequency.objects.get(risk_level="ppm", rating="good").months == 3
    assert VisitFrequency.objects.get(risk_level="normal", rating="inadequate").months == 3
    risky, _calm, rated = ProviderFactory(), ProviderFactory(), ProviderFactory()
    assess(risky, cqm, "ppm")
    Rating.objects.create(provider=rated, published_on=TODAY - datetime.timedelta(days=30), overall="good")
    MonitoringVisit.objects.create(provider=rated, visited_on=TODAY - datetime.timedelta(days=10), visited_by="A",
                                   staffing="ok", safety="ok", medication="ok", complaints="ok", records="ok",
                                   recorded_by=cqm)
    assert services.compute_visit_programme() == {"providers": 3, "changed": 3}
    plans = {p.provider_id: p for p in VisitPlan.objects.all()}
    assert (plans[risky.pk].risk_level, plans[risky.pk].rating, plans[risky.pk].months) == ("ppm", "unrated", 3)
    assert plans[risky.pk].next_due_on == TODAY  # never visited: due from the day it joined the register
    assert (plans[rated.pk].months, plans[rated.pk].next_due_on) == (
        12, add_months(TODAY - datetime.timedelta(days=10), 12))
    assert services.compute_visit_programme() == {"providers": 3, "changed": 0}  # idempotent
    VisitFrequency.objects.filter(risk_level="normal", rating="good").update(months=9)  # an administrator's change
    assert services.compute_visit_programme()["changed"] == 1
    assert VisitPlan.objects.get(provider=rated).months == 9
    # An open escalation case above the latest assessment sets the level: at SOSG, every month.
    from escalation import services as case_services
    case_services.open_case(user=cqm, provider_id=rated.pk, level="sosg", rationale="Provider may close")
    assert services.compute_visit_programme()["changed"] == 1
    assert (VisitPlan.objects.get(provider=rated).risk_level, VisitPlan.objects.get(provider=rated).months) == (
        "sosg", 1)


@pytest.mark.django_db
def test_the_programme_for_two_thousand_providers_is_quick_and_idempotent(cqm):
    Provider.objects.bulk_create([Provider(cqc_location_id=f"1-{600000000 + i}", name=f"Home {i}", address="1 St",
                                           postcode="NF1 1AA") for i in range(2000)])
    ids = list(Provider.objects.values_list("pk", flat=True))
    matrix = RiskMatrix.current()
    RiskAssessment.objects.bulk_create([RiskAssessment(provider_id=pk, engagement=0, impact=0, matrix=matrix,
                                                       recommended_level="qa", level="qa", assessed_by=cqm)
                                        for pk in ids[::3]])
    Rating.objects.bulk_create([Rating(provider_id=pk, published_on=TODAY, overall="inadequate") for pk in ids[::5]])
    with CaptureQueriesContext(connection) as queries:  # its time is `make bench --only intelligence`'s business
        counts = services.compute_visit_programme()
    assert counts == {"providers": 2000, "changed": 2000} and len(queries) < 20
    assert services.compute_visit_programme()["changed"] == 0
    assert VisitPlan.objects.get(provider_id=ids[0]).months == 3  # qa (6) and inadequate (at most 3)


@pytest.mark.django_db
def test_an_officer_records_a_visit_and_raises_a_concern_from_its_findings(client, officer, provider):
    client.force_login(officer)
    services.compute_visit_programme()
    due = client.get(reverse("intelligence:visits_due")).content.decode()
    assert provider.name in due and "Not visited yet" in due
    response = client.post(reverse("intelligence:visit_new", args=[provider.pk]), visit_post())
    visit = MonitoringVisit.objects.get()
    assert response.status_code == 302 and response["Location"] == visit.get_absolute_url()
    assert Event.objects.filter(kind="monitoring_visit_recorded", object_id=str(visit.pk)).exists()
    assert VisitPlan.objects.get(provider=provider).last_visit_on == TODAY  # the programme moved on
    page = client.get(visit.get_absolute_url()).content.decode()
    assert "MAR charts unsigned" in page and "Raise a concern from these findings" in page

    form = client.get(reverse("intelligence:visit_concern", args=[visit.pk])).content.decode()
    assert "Medication: concern. MAR charts unsigned" in form
    response = client.post(reverse("intelligence:visit_concern", args=[visit.pk]),
                           concern_post(provider, safety_concern="False", description=visit.findings_text()))
    concern = Concern.objects.get()
    assert response["Location"] == concern.get_absolute_url()
    visit.refresh_from_db()
    assert visit.concern == concern and concern.provider == provider
    # Once only: a second concern from the same visit is refused with a message and nothing is logged.
    client.post(reverse("intelligence:visit_concern", args=[visit.pk]), concern_post(provider))
    assert Concern.objects.count() == 1


@pytest.mark.django_db
def test_a_visit_with_a_concern_and_no_notes_is_refused_on_the_page(client, officer, provider):
    client.force_login(officer)
    response = client.post(reverse("intelligence:visit_new", args=[provider.pk]),
                           visit_post(staffing_notes="", visited_on_2=TODAY.year + 1))
    page = response.content.decode()
    assert response.status_code == 200 and "Describe the concern about staffing" in page
    assert not MonitoringVisit.objects.exists()


@pytest.mark.django_db
def test_people_who_may_not_record_visits_are_refused(client, auditor, provider):
    client.force_login(auditor)
    assert client.get(reverse("intelligence:visits_due")).status_code == 200
    assert client.post(reverse("intelligence:visit_new", args=[provider.pk]), visit_post()).status_code == 403
    assert not MonitoringVisit.objects.exists()


@pytest.mark.django_db
def test_a_quality_audit_rates_every_standard_with_its_dates(client, officer, provider):
    standards = list(AuditStandard.objects.select_related("domain"))
    assert len(standards) == 16 and len({s.domain_id for s in standards}) == 5
    client.force_login(officer)
    report = TODAY - datetime.timedelta(days=3)
    data = {"report_date_0": report.day, "report_date_1": report.month, "report_date_2": report.year,
            "overall": "requires_improvement", "summary": "Medicines need work"}
    data.update({f"standard_{s.pk}": "good" for s in standards[:-1]})
    response = client.post(reverse("intelligence:audit_new", args=[provider.pk]), data)
    assert response.status_code == 200 and f"Rate standard {standards[-1]}" in response.content.decode()
    assert not QualityAudit.objects.exists()
    data[f"standard_{standards[-1].pk}"] = "poor"
    response = client.post(reverse("intelligence:audit_new", args=[provider.pk]), data)
    audit = QualityAudit.objects.get()
    assert response["Location"] == audit.get_absolute_url()
    assert audit.action_plan_due == report + datetime.timedelta(days=14)
    assert audit.reaudit_due == add_months(report, 6)
    assert audit.standard_ratings.count() == 16 and audit.standard_ratings.filter(rating="poor").count() == 1
    page = client.get(provider.get_absolute_url()).content.decode()
    assert "Last quality audit" in page and "Requires improvement" in page


@pytest.mark.django_db
def test_cqc_meetings_and_the_reminder_when_the_next_is_overdue(client, officer, provider):
    client.force_login(officer)
    page = client.get(reverse("intelligence:cqc_meetings")).content.decode()
    assert "No information-sharing meeting with CQC" in page
    held = TODAY - datetime.timedelta(days=70)
    data = {"meeting_date_0": held.day, "meeting_date_1": held.month, "meeting_date_2": held.year,
            "attendees": "CQC inspector\nCQM", "location_ids": f"{provider.cqc_location_id}, 1-999999998",
            "actions": "Share the visit notes", "minutes": "Discussed staffing"}
    response = client.post(reverse("intelligence:cqc_meeting_new"), data)
    assert "Not on the provider register: 1-999999998" in response.content.decode()
    data["location_ids"] = provider.cqc_location_id
    response = client.post(reverse("intelligence:cqc_meeting_new"), data)
    meeting = CqcMeeting.objects.get()
    assert list(meeting.providers.all()) == [provider] and meeting.next_due == add_months(held, 2)
    home = client.get(reverse("home")).content.decode()
    assert "An information-sharing meeting with CQC was due on" in home
    assert "An information-sharing meeting with CQC was due on" in client.get(
        reverse("intelligence:index")).content.decode()


@pytest.mark.django_db
def test_the_findings_of_a_visit_whose_concern_is_restricted_reach_only_people_cleared(client, officer, cqm,
                                                                                         auditor, provider):
    client.force_login(cqm)
    client.post(reverse("intelligence:visit_new", args=[provider.pk]),
                visit_post(medication_notes="SENTINEL-VISIT-NOTE", summary="SENTINEL-VISIT-SUMMARY"))
    visit = MonitoringVisit.objects.get()
    client.post(reverse("intelligence:visit_concern", args=[visit.pk]),
                concern_post(provider, safety_concern="False", description=visit.findings_text()))
    concern = Concern.objects.get()
    Concern.objects.filter(pk=concern.pk).update(restricted=True)  # a safeguarding concern, restricted
    page = client.get(visit.get_absolute_url()).content.decode()  # a CQM is cleared: the positive control
    assert "SENTINEL-VISIT-NOTE" in page and "SENTINEL-VISIT-SUMMARY" in page
    for person in (officer, auditor):
        client.force_login(person)
        page = client.get(visit.get_absolute_url()).content.decode()
        assert "SENTINEL-VISIT" not in page and "shown only to people cleared for it" in page
        assert concern.reference in page
    client.force_login(officer)  # the prefilled concern form would show the findings again
    response = client.get(reverse("intelligence:visit_concern", args=[visit.pk]))
    assert response.status_code == 403 and "SENTINEL-VISIT" not in response.content.decode()
    # The visit's own audit events (their changes hold the notes) are hidden in the audit log like the concern's.
    from audit.models import Event
    from home.clearance import annotate_hidden

    events = Event.objects.filter(kind__startswith="monitoring_visit", object_id=str(visit.pk))
    assert any("SENTINEL-VISIT" in str(e.changes) for e in events)
    assert all(e.detail_hidden for e in annotate_hidden(events, officer))
    assert not any(e.detail_hidden for e in annotate_hidden(events, cqm))


@pytest.mark.django_db
def test_a_huge_list_of_location_ids_is_refused_before_it_is_looked_up(client, officer,
                                                                       django_assert_max_num_queries):
    client.force_login(officer)
    data = {"meeting_date_0": TODAY.day, "meeting_date_1": TODAY.month, "meeting_date_2": TODAY.year,
            "attendees": "CQC inspector", "location_ids": ", ".join(f"1-{n}" for n in range(200000))}
    with django_assert_max_num_queries(12):
        response = client.post(reverse("intelligence:cqc_meeting_new"), data)
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and "10,000 characters or fewer" in page
    assert not CqcMeeting.objects.exists()


@pytest.mark.django_db
def test_the_cqms_are_reminded_once_before_the_cqc_meeting_is_due_and_once_when_it_is_overdue(cqm, officer,
                                                                                              mailoutbox):
    from tests.factories import UserFactory

    second = UserFactory(username="cqm-two", roles=["Contracts and Quality Manager"])
    # No meeting recorded yet: due now, and said once, not every day.
    assert services.remind_cqc_meeting_due(today=TODAY) == 2
    assert services.remind_cqc_meeting_due(today=TODAY + datetime.timedelta(days=1)) == 0
    assert len(mailoutbox) == 2 and "No information-sharing meeting with CQC has been recorded" in mailoutbox[0].subject
    mailoutbox.clear()
    CqcMeeting.objects.create(meeting_date=TODAY - datetime.timedelta(days=30), attendees="CQC inspector",
                              recorded_by=cqm)
    due = add_months(TODAY - datetime.timedelta(days=30), 2)
    assert services.remind_cqc_meeting_due(today=due - datetime.timedelta(days=15)) == 0  # too early
    assert not mailoutbox
    assert services.remind_cqc_meeting_due(today=due - datetime.timedelta(days=14)) == 2
    assert services.remind_cqc_meeting_due(today=due - datetime.timedelta(days=3)) == 0  # told once already
    assert sorted(m.to[0] for m in mailoutbox) == sorted([cqm.email, second.email])  # the officer is not told
    assert all(f"is due on {due.day} {due:%B %Y}" in m.subject for m in mailoutbox)
    assert all(reverse("intelligence:cqc_meetings") in m.body for m in mailoutbox)
    assert services.remind_cqc_meeting_due(today=due + datetime.timedelta(days=1)) == 2  # overdue: once more
    assert services.remind_cqc_meeting_due(today=due + datetime.timedelta(days=9)) == 0
    assert len(mailoutbox) == 4 and "was due on" in mailoutbox[-1].subject
    # Recording the meeting moves the next due date two months on: nothing more until then.
    CqcMeeting.objects.create(meeting_date=due + datetime.timedelta(days=10), attendees="CQC inspector",
                              recorded_by=cqm)
    assert services.remind_cqc_meeting_due(today=due + datetime.timedelta(days=11)) == 0
    assert len(mailoutbox) == 4


@pytest.mark.django_db
def test_the_visits_due_download_as_csv_for_planning_a_round(client, officer):
    import csv
    import io

    from tests.factories import ProviderFactory

    ProviderFactory(name='=HYPERLINK("http://x") Lodge', town="Northfield")  # a name from an import
    ProviderFactory(name="Quiet House")
    services.compute_visit_programme()
    client.force_login(officer)
    page = client.get(reverse("intelligence:visits_due")).content.decode()
    assert "?when=30&amp;format=csv" in page
    response = client.get(reverse("intelligence:visits_due"), {"when": "30", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    names = {row["provider"] for row in rows}
    assert "Quiet House" in names and "'=HYPERLINK(\"http://x\") Lodge" in names  # a formula is neutralised
    assert all(row["due"] and row["overdue"] in ("yes", "no") for row in rows)
