"""Providers' updates on plan actions and appeals against a suspension (docs/process.md, "Providers' updates and
appeals"): the services, every refusal (and that a refusal changes nothing), the emails, and the pages."""

import datetime
import logging

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import Event
from core.dates import long_date
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from escalation import route_services as rs
from escalation import services as case_services
from escalation.models import DecisionReport, PlanAction, ProgressNote, Route
from letters import services as letter_services
from letters.models import Letter, LetterKind
from providers.models import ProviderContact
from replies import permissions as perms
from replies import services
from replies.models import ActionUpdate, ActionUpdateEvidence, Appeal, AppealEvidence
from replies.participation import took_part_in
from replies.tasks import PROVIDER_EMAIL_SUBJECT
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def pdf(name="evidence.pdf", text="Evidence"):
    body = (b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def not_a_pdf():
    return SimpleUploadedFile("minutes.pdf", b"just some text, not a PDF at all", content_type="application/pdf")


def make_contact(provider, username=None, email=None):
    """A provider contact: a user with no role and an active ProviderContact row."""
    user = UserFactory(username=username or f"contact{provider.pk}", roles=[])
    ProviderContact.objects.create(provider=provider, user=user, name=user.get_full_name(),
                                   email=email or f"{user.username}@provider.example")
    return get_user_model().objects.get(pk=user.pk)


def suspended(people, joint=False):
    """A case whose suspension came into force today, with an improvement-plan action owned by the provider."""
    case = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=joint)
    sprg(people, case, "agree_at_risk")
    plan = rs.create_improvement_plan(user=people["cqm"], case_id=case.pk, start_date=TODAY(),
                                      review_date=TODAY() + datetime.timedelta(days=28))
    case_services.add_action(user=people["cqm"], plan_id=plan.pk, area_of_concern="Falls prevention",
                             action="Falls risk assessment for every resident", owner="provider",
                             due_date=TODAY() + datetime.timedelta(days=14))
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    if joint:
        rs.sign_off(user=people["icb"], case_id=case.pk, capacity="icb", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.SUSPENDED
    return case


def decision_of(case):
    return DecisionReport.objects.get(case=case, kind="suspension", superseded=False)


def counts():
    return (Appeal.objects.count(), AppealEvidence.objects.count(), ActionUpdate.objects.count(),
            ActionUpdateEvidence.objects.count(), Deadline.objects.filter(kind="appeal_decision").count(),
            Event.objects.count(), Letter.objects.count(), ProgressNote.objects.count())


@pytest.fixture
def world(people):
    case = suspended(people)
    contact = make_contact(case.provider)
    other_provider = ProviderFactory()
    outsider = make_contact(other_provider, username="outsider")
    independent = {"dmt": UserFactory(roles=[roles.DMT_MEMBER]), "dass": UserFactory(roles=[roles.DASS])}
    return {"case": case, "contact": contact, "outsider": outsider, "independent": independent, **people}


def lodge(world, **kw):
    return services.lodge_appeal(user=world["contact"], decision_id=decision_of(world["case"]).pk,
                                 grounds=kw.pop("grounds", "The falls figures include residents admitted after the "
                                                           "home reported them."), **kw)


# --- appeals ---------------------------------------------------------------------------------------------------

def test_a_contact_appeals_within_the_window_and_the_case_owner_is_told(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = lodge(world, files=[pdf("falls-audit.pdf")])
    case = world["case"]
    assert appeal.status == Appeal.Status.OPEN and appeal.decision_in_force_on == TODAY()
    assert appeal.window_closes_on == add_working_days(TODAY(), 5)
    assert [e.original_name for e in appeal.evidence.all()] == ["falls-audit.pdf"]
    deadline = Deadline.objects.get(kind=Deadline.Kind.APPEAL_DECISION, case=case)
    assert deadline.due_date == add_working_days(TODAY(), services.APPEAL_DECISION_WORKING_DAYS) == appeal.decide_by
    assert deadline.assignee == case.owner
    event = Event.objects.filter(kind="appeal_lodged").get()
    assert event.object_id == str(case.pk) and event.actor == world["contact"]
    to_owner = [m for m in mail.outbox if case.owner.email in m.to]
    assert to_owner and "appealed against the suspension" in to_owner[0].body
    # The people who may decide it are told too: the independent DASS and DMT member, not those who took part.
    to_decide = {address for m in mail.outbox if "waits for a decision" in m.subject for address in m.to}
    assert to_decide == {world["independent"]["dmt"].email, world["independent"]["dass"].email}
    assert world["dmt"].email not in to_decide and world["dass"].email not in to_decide


def test_an_appeal_after_the_window_is_refused_with_the_date_it_closed_and_nothing_is_saved(world):
    closes = add_working_days(TODAY(), 5)
    before = counts()
    with time_machine.travel(datetime.datetime.combine(closes + datetime.timedelta(days=1), datetime.time(12)),
                             tick=False), pytest.raises(ValidationError) as refused:
        lodge(world, files=[pdf()])
    assert refused.value.message_dict["grounds"] == [f"Appeals against this decision closed on {long_date(closes)}"]
    assert counts() == before


def test_the_window_is_configurable(world, settings):
    settings.APPEAL_WORKING_DAYS = 2
    closes = add_working_days(TODAY(), 2)
    with time_machine.travel(datetime.datetime.combine(add_working_days(TODAY(), 3), datetime.time(12)),
                             tick=False), pytest.raises(ValidationError, match=long_date(closes)):
        lodge(world)


def test_a_contact_of_another_provider_cannot_appeal(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.lodge_appeal(user=world["outsider"], decision_id=decision_of(world["case"]).pk, grounds="Mine")
    assert counts() == before


def test_staff_cannot_lodge_a_providers_appeal(world):
    with pytest.raises(PermissionDenied):
        services.lodge_appeal(user=world["cqm"], decision_id=decision_of(world["case"]).pk, grounds="x")


def test_one_open_appeal_per_decision(world):
    lodge(world)
    before = counts()
    with pytest.raises(ValidationError, match="already waiting for a decision"):
        lodge(world, grounds="A second try")
    assert counts() == before


def test_an_appeal_with_a_file_that_fails_the_checks_saves_nothing(world, settings):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        lodge(world, files=[pdf("fine.pdf"), not_a_pdf()])
    assert "minutes.pdf" in refused.value.message_dict["evidence"][0]
    assert counts() == before
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_no_appeal_without_a_suspension_in_force(people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    report = rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    contact = make_contact(case.provider)
    with pytest.raises(ValidationError, match="not a suspension in force"):
        services.lodge_appeal(user=contact, decision_id=report.pk, grounds="Too early")
    assert not Appeal.objects.exists()


# --- who took part ------------------------------------------------------------------------------------------------

def test_took_part_in_covers_every_kind_of_participation(people):
    """SPRG decisions, any version of the report, DMT's decision on any version (endorsed or not), the DASS and
    ICB sign-offs: each is taking part. Someone who did none of these did not take part."""
    extra = {"sprg2": UserFactory(roles=[roles.SPRG_MEMBER]), "cqm2": UserFactory(roles=[roles.CQM]),
             "dmt2": UserFactory(roles=[roles.DMT_MEMBER])}
    case = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=True)
    sprg(people, case, "agree_at_risk")  # people["sprg"]
    rs.record_sprg_decision(user=extra["sprg2"], case_id=case.pk, decision="route1_not_complied",
                            meeting_date=TODAY(), members_present="Chair", notes="No progress")
    rs.write_report(user=extra["cqm2"], case_id=case.pk, body="Version 1")
    rs.record_dmt_decision(user=extra["dmt2"], case_id=case.pk, endorsed=False, rationale="Not yet",
                           report_version=1, return_to="restart")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Version 2")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=2)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=2)
    rs.sign_off(user=people["icb"], case_id=case.pk, capacity="icb", report_version=2)
    decision = decision_of(case)
    for who in ("sprg", "cqm", "dmt", "dass", "icb"):
        assert took_part_in(people[who], DecisionReport.objects.get(pk=decision.pk)), who
    for who in ("sprg2", "cqm2", "dmt2"):
        assert took_part_in(extra[who], DecisionReport.objects.get(pk=decision.pk)), who
    for role in (roles.DASS, roles.DMT_MEMBER, roles.CQM):
        assert not took_part_in(UserFactory(roles=[role]), DecisionReport.objects.get(pk=decision.pk)), role
    assert not took_part_in(people["officer"], DecisionReport.objects.get(pk=decision.pk))


def test_an_earlier_episode_does_not_count(people):
    """Someone who decided an earlier, finished route on the case did not take part in this suspension."""
    case = CaseFactory(level="sosg", owner=people["cqm"])
    earlier = UserFactory(roles=[roles.SPRG_MEMBER])
    with time_machine.travel(timezone.now() - datetime.timedelta(days=60), tick=True):
        rs.record_sprg_decision(user=earlier, case_id=case.pk, decision="agree_at_risk", meeting_date=TODAY(),
                                members_present="Chair", notes="At risk")
        rs.record_sprg_decision(user=earlier, case_id=case.pk, decision="route1_fully_complied",
                                meeting_date=TODAY(), members_present="Chair", notes="Complied",
                                oversight_until=TODAY() + datetime.timedelta(days=30))
    sprg(people, case, "urgent_route2")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Urgent")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    decision = decision_of(case)
    assert not took_part_in(earlier, decision)
    assert took_part_in(people["sprg"], DecisionReport.objects.get(pk=decision.pk))


# --- deciding an appeal -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["dass", "dmt", "cqm"])
def test_someone_who_took_part_cannot_decide_the_appeal(world, who):
    appeal = lodge(world)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.decide_appeal(user=world[who], appeal_id=appeal.pk, outcome="upheld", reasons="Stands")
    assert counts() == before
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.OPEN


def test_the_refusal_to_a_participant_says_why(world):
    appeal = lodge(world)
    assert perms.can_decide_appeal.explain(world["dass"], appeal).startswith("You took part in the suspension")


@pytest.mark.parametrize("role", [roles.CQM, roles.SPRG_MEMBER, roles.ICB_COLLEAGUE, roles.CONTRACT_OFFICER,
                                  roles.AUDITOR])
def test_only_the_dass_or_a_dmt_member_decides(world, role):
    appeal = lodge(world)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.decide_appeal(user=UserFactory(roles=[role]), appeal_id=appeal.pk, outcome="upheld", reasons="x")
    assert counts() == before


def test_an_independent_senior_officer_decides_and_the_letter_is_drafted_and_issued(
        world, django_capture_on_commit_callbacks):
    appeal = lodge(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.decide_appeal(user=world["independent"]["dmt"], appeal_id=appeal.pk, outcome="upheld",
                                         reasons="The falls audit confirms the pattern the council found.")
    assert decided.status == Appeal.Status.UPHELD and decided.decided_by == world["independent"]["dmt"]
    assert Deadline.objects.get(kind="appeal_decision").status == Deadline.Status.MET
    assert Event.objects.filter(kind="appeal_decided").count() == 1
    letter = decided.letter
    assert letter.kind == LetterKind.APPEAL_OUTCOME and letter.status == Letter.Status.DRAFT
    assert world["case"].provider.name in letter.addressee
    EventCount = Event.objects.count()
    issued = letter_services.issue_letter(user=world["cqm"], letter_id=letter.pk)
    assert issued.status == Letter.Status.ISSUED and issued.sha256 and Event.objects.count() == EventCount + 1
    from letters.rendering import render_html

    html = render_html(issued, issued.template)
    assert "Decision upheld: the suspension stands" in html
    assert "The falls audit confirms the pattern the council found." in html
    # The provider's contacts are told there is an update, with no case details.
    sent = [m for m in mail.outbox if world["contact"].provider_contacts.get().email in m.to]
    assert len(sent) == 1
    message = sent[0]
    assert message.subject == PROVIDER_EMAIL_SUBJECT
    assert message.body.startswith("There is an update in the providers' portal. Sign in: http")
    for detail in (world["case"].reference, world["case"].provider.name, "upheld", "falls", "suspen", "appeal"):
        assert detail.lower() not in (message.subject + message.body).lower(), detail
    # The case stays suspended
    world["case"].refresh_from_db()
    assert world["case"].route == Route.SUSPENDED


def test_an_allowed_appeal_is_recorded_and_the_case_page_says_the_lifting_route_must_start(world, client):
    appeal = lodge(world)
    services.decide_appeal(user=world["independent"]["dass"], appeal_id=appeal.pk, outcome="allowed",
                           reasons="The figures were wrong.")
    world["case"].refresh_from_db()
    assert world["case"].route == Route.SUSPENDED  # nothing is lifted outside the lifting route
    client.force_login(world["cqm"])
    page = client.get(world["case"].get_absolute_url()).content.decode()
    assert "appeal was allowed" in page and "start the lifting route" in page


def test_a_decision_is_appealed_against_once_and_the_portal_says_so(world):
    from django.test import Client

    appeal = lodge(world)
    services.decide_appeal(user=world["independent"]["dmt"], appeal_id=appeal.pk, outcome="upheld", reasons="x")
    before = counts()
    with pytest.raises(ValidationError, match="a decision can be appealed against once"):
        lodge(world, grounds="A second try while the window is still open")
    assert counts() == before
    client = Client()
    client.force_login(world["contact"])
    page = client.get(reverse("replies_portal:appeals")).content.decode()
    assert "Your appeal against this decision has been decided" in page
    assert reverse("replies_portal:appeal_create", args=[appeal.decision_id]) not in page


def test_a_decided_appeal_is_not_decided_again(world):
    appeal = lodge(world)
    services.decide_appeal(user=world["independent"]["dmt"], appeal_id=appeal.pk, outcome="upheld", reasons="x")
    with pytest.raises(PermissionDenied, match="already been decided"):
        services.decide_appeal(user=world["independent"]["dass"], appeal_id=appeal.pk, outcome="allowed",
                               reasons="y")


def test_deciding_needs_an_outcome_and_reasons(world):
    appeal = lodge(world)
    before = counts()
    with pytest.raises(ValidationError, match="reasons"):
        services.decide_appeal(user=world["independent"]["dmt"], appeal_id=appeal.pk, outcome="upheld", reasons=" ")
    with pytest.raises(ValidationError, match="outcome"):
        services.decide_appeal(user=world["independent"]["dmt"], appeal_id=appeal.pk, outcome="lifted", reasons="x")
    assert counts() == before


# --- updates on plan actions --------------------------------------------------------------------------------------

def the_action(case):
    return PlanAction.objects.get(plan__case=case)


def test_a_contact_sends_an_update_and_a_cqm_accepts_it_through_the_progress_services(
        world, django_capture_on_commit_callbacks):
    action = the_action(world["case"])
    update = services.send_action_update(user=world["contact"], action_id=action.pk, progress="Assessed 30 of 32",
                                         proposed_status="complete", files=[pdf("assessments.pdf")])
    assert update.status == ActionUpdate.Status.PENDING
    assert Event.objects.filter(kind="action_update_sent").count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_action_update(user=world["cqm"], update_id=update.pk)
    action.refresh_from_db()
    assert action.status == PlanAction.Status.COMPLETE
    note = action.progress_notes.get()
    assert "Assessed 30 of 32" in note.note and "assessments.pdf" in note.note and note.written_by == world["cqm"]
    assert {"progress_note_added", "plan_action_updated", "action_update_accepted"} <= set(
        Event.objects.values_list("kind", flat=True))
    assert Deadline.objects.get(kind="plan_action", case=world["case"]).status == Deadline.Status.MET
    assert [m.subject for m in mail.outbox if m.to == [world["contact"].provider_contacts.get().email]] == [
        PROVIDER_EMAIL_SUBJECT]


def test_a_query_is_shown_to_the_provider_and_they_can_answer_with_a_new_update(world, client):
    action = the_action(world["case"])
    update = services.send_action_update(user=world["contact"], action_id=action.pk, progress="Started",
                                         proposed_status="in_progress")
    with pytest.raises(ValidationError, match="still waiting"):
        services.send_action_update(user=world["contact"], action_id=action.pk, progress="Again",
                                    proposed_status="in_progress")
    services.query_action_update(user=world["officer"], update_id=update.pk, question="Which residents?")
    assert PlanAction.objects.get(pk=action.pk).progress_notes.count() == 0
    client.force_login(world["contact"])
    assert "Which residents?" in client.get(reverse("replies_portal:actions")).content.decode()
    services.send_action_update(user=world["contact"], action_id=action.pk, progress="Rooms 1 to 12",
                                proposed_status="in_progress")


def test_updates_are_refused_to_other_providers_and_to_bad_files(world):
    action = the_action(world["case"])
    before = counts()
    with pytest.raises(PermissionDenied):
        services.send_action_update(user=world["outsider"], action_id=action.pk, progress="x",
                                    proposed_status="complete")
    with pytest.raises(ValidationError) as refused:
        services.send_action_update(user=world["contact"], action_id=action.pk, progress="x",
                                    proposed_status="complete", files=[not_a_pdf()])
    assert "evidence" in refused.value.message_dict
    assert counts() == before


def test_only_the_case_team_answers_an_update_once(world):
    update = services.send_action_update(user=world["contact"], action_id=the_action(world["case"]).pk,
                                         progress="Done", proposed_status="complete")
    before = counts()
    for user in (world["dass"], world["sprg"], world["contact"], UserFactory(roles=[roles.AUDITOR])):
        with pytest.raises(PermissionDenied):
            services.accept_action_update(user=user, update_id=update.pk)
    assert counts() == before
    services.query_action_update(user=world["cqm"], update_id=update.pk, question="Evidence?")
    with pytest.raises(PermissionDenied, match="already been answered"):
        services.accept_action_update(user=world["cqm"], update_id=update.pk)


def test_an_update_on_an_action_completed_since_is_not_accepted_and_the_action_stays_complete(world, client):
    """The case team completed the action after the provider sent "in progress": accepting the old update would
    move a complete action back (and reopen nothing else). It is refused with an error; a query still works."""
    action = the_action(world["case"])
    update = services.send_action_update(user=world["contact"], action_id=action.pk, progress="Half done",
                                         proposed_status="in_progress")
    case_services.update_action(user=world["cqm"], action_id=action.pk, status="complete", evidence="Audit seen",
                                due_date=action.due_date)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        services.accept_action_update(user=world["cqm"], update_id=update.pk)
    assert "no longer open for updates" in refused.value.message_dict["answer"][0]
    assert counts() == before
    action.refresh_from_db()
    assert action.status == PlanAction.Status.COMPLETE and not action.progress_notes.exists()
    client.force_login(world["cqm"])
    page = client.post(reverse("replies:update_detail", args=[update.pk]), {"answer": "accept"})
    assert "govuk-error-summary" in page.content.decode() and "no longer open for updates" in page.content.decode()
    services.query_action_update(user=world["cqm"], update_id=update.pk, question="Is this still current?")


def test_an_update_sent_after_the_action_was_completed_gets_the_reason_not_page_not_found(world, client):
    action = the_action(world["case"])
    client.force_login(world["contact"])
    assert client.get(reverse("replies_portal:action_update", args=[action.pk])).status_code == 200
    case_services.update_action(user=world["cqm"], action_id=action.pk, status="complete", evidence="Audit seen",
                                due_date=action.due_date)
    page = client.post(reverse("replies_portal:action_update", args=[action.pk]),
                       {"progress": "All assessed", "proposed_status": "complete"})
    body = page.content.decode()
    assert page.status_code == 200 and "govuk-error-summary" in body and "no longer open for updates" in body
    assert not ActionUpdate.objects.exists()


def test_the_pages_refuse_other_methods(world, client):
    appeal = lodge(world)
    client.force_login(world["contact"])
    for url in (reverse("replies_portal:actions"), reverse("replies_portal:appeals"),
                reverse("replies_portal:appeal_detail", args=[appeal.pk]),
                reverse("replies_portal:appeal_create", args=[decision_of(world["case"]).pk]),
                reverse("replies_portal:action_update", args=[the_action(world["case"]).pk])):
        assert client.put(url).status_code == 405 and client.delete(url).status_code == 405, url
    client.force_login(world["cqm"])
    for url in (reverse("replies:index"), reverse("replies:appeal_detail", args=[appeal.pk])):
        assert client.put(url).status_code == 405 and client.delete(url).status_code == 405, url
    assert client.head(reverse("replies:index")).status_code == 200


def test_an_uncleared_officer_cannot_answer_an_update_on_a_restricted_case(world):
    ConcernFactory(provider=world["case"].provider, case=world["case"], safeguarding=True,
                   logged_by=world["cqm"])
    update = services.send_action_update(user=world["contact"], action_id=the_action(world["case"]).pk,
                                         progress="Done", proposed_status="complete")
    with pytest.raises(PermissionDenied):
        services.accept_action_update(user=world["officer"], update_id=update.pk)


# --- pages ----------------------------------------------------------------------------------------------------

def test_portal_pages_answer_404_to_staff_and_to_other_providers_and_the_refusal_is_logged(world, client, caplog):
    action = the_action(world["case"])
    appeal = lodge(world)
    urls = [reverse("replies_portal:action_update", args=[action.pk]),
            reverse("replies_portal:appeal_create", args=[decision_of(world["case"]).pk]),
            reverse("replies_portal:appeal_detail", args=[appeal.pk])]
    client.force_login(world["outsider"])
    with caplog.at_level(logging.WARNING, logger="core.refusals"):
        for url in urls:
            assert client.get(url).status_code == 404, url
            posted = client.post(url, {"progress": "x", "proposed_status": "complete", "grounds": "x"}).status_code
            # The appeal's own page takes no POST from anyone (405 whoever asks, so it tells nothing).
            assert posted == (405 if url == urls[2] else 404), url
    logged = [r.getMessage() for r in caplog.records if r.name == "core.refusals"]
    assert any(f"path={urls[0]}" in line and "status=404" in line and f"user={world['outsider'].pk}" in line
               for line in logged)
    assert ActionUpdate.objects.count() == 0 and Appeal.objects.count() == 1
    client.force_login(world["cqm"])
    for url in [*urls, reverse("replies_portal:actions"), reverse("replies_portal:appeals")]:
        assert client.get(url).status_code == 404, url


def test_staff_pages_refuse_uncleared_people_and_people_with_no_role(world, client):
    ConcernFactory(provider=world["case"].provider, case=world["case"], safeguarding=True, logged_by=world["cqm"])
    appeal = lodge(world)
    update = services.send_action_update(user=world["contact"], action_id=the_action(world["case"]).pk,
                                         progress="Done", proposed_status="complete")
    urls = [reverse("replies:appeal_detail", args=[appeal.pk]), reverse("replies:update_detail", args=[update.pk])]
    client.force_login(world["officer"])
    for url in urls:
        assert client.get(url).status_code == 403
    assert "Done" not in client.get(reverse("replies:index")).content.decode()
    client.force_login(world["contact"])
    for url in [*urls, reverse("replies:index")]:
        assert client.get(url).status_code in (403, 404)


def test_a_restricted_case_shows_the_provider_no_action_text(world, client):
    ConcernFactory(provider=world["case"].provider, case=world["case"], safeguarding=True, logged_by=world["cqm"])
    client.force_login(world["contact"])
    page = client.get(reverse("replies_portal:actions")).content.decode()
    assert "Falls risk assessment" not in page and "Falls prevention" not in page
    assert "Send an update" in page
    detail = client.get(reverse("replies_portal:action_update", args=[the_action(world["case"]).pk]))
    assert "Falls risk assessment" not in detail.content.decode()


def test_the_pages_work_end_to_end(world, client):
    action = the_action(world["case"])
    client.force_login(world["contact"])
    page = client.get(reverse("replies_portal:actions")).content.decode()
    assert "Falls risk assessment for every resident" in page
    response = client.post(reverse("replies_portal:action_update", args=[action.pk]),
                           {"progress": "", "proposed_status": "complete"})
    assert "Enter the progress made on this action" in response.content.decode()
    response = client.post(reverse("replies_portal:action_update", args=[action.pk]),
                           {"progress": "All assessed", "proposed_status": "complete",
                            "evidence": [not_a_pdf()]})
    assert response.status_code == 200 and "minutes.pdf" in response.content.decode()
    assert not ActionUpdate.objects.exists()
    response = client.post(reverse("replies_portal:action_update", args=[action.pk]),
                           {"progress": "All assessed", "proposed_status": "complete", "evidence": [pdf()]})
    assert response.status_code == 302
    update = ActionUpdate.objects.get()
    appeals_page = client.get(reverse("replies_portal:appeals")).content.decode()
    assert "You can appeal until" in appeals_page
    response = client.post(reverse("replies_portal:appeal_create", args=[decision_of(world["case"]).pk]),
                           {"grounds": "The figures are wrong", "evidence": [pdf("figures.pdf")]})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response.url == reverse("replies_portal:appeal_detail", args=[appeal.pk])

    client.force_login(world["cqm"])
    case_page = client.get(reverse("escalation:shared", args=[world["case"].pk])).content.decode()
    assert reverse("replies:update_detail", args=[update.pk]) in case_page
    assert reverse("replies:appeal_detail", args=[appeal.pk]) in case_page
    index = client.get(reverse("replies:index")).content.decode()
    assert world["case"].reference in index
    response = client.post(reverse("replies:update_detail", args=[update.pk]), {"answer": "accept", "question": ""})
    assert response.status_code == 302
    assert ActionUpdate.objects.get().status == ActionUpdate.Status.ACCEPTED
    evidence = AppealEvidence.objects.get()
    download = client.get(reverse("replies:appeal_evidence", args=[appeal.pk, evidence.pk]))
    assert download.status_code == 200

    client.force_login(world["dass"])  # signed the suspension: the page says why they cannot decide
    page = client.get(reverse("replies:appeal_detail", args=[appeal.pk])).content.decode()
    assert "You took part in the suspension decision" in page
    assert client.post(reverse("replies:appeal_detail", args=[appeal.pk]),
                       {"outcome": "upheld", "reasons": "x"}).status_code == 403
    client.force_login(world["independent"]["dass"])
    response = client.post(reverse("replies:appeal_detail", args=[appeal.pk]), {"outcome": "upheld", "reasons": ""})
    assert "Enter the reasons for the decision" in response.content.decode()
    response = client.post(reverse("replies:appeal_detail", args=[appeal.pk]),
                           {"outcome": "upheld", "reasons": "The suspension was justified."})
    assert response.status_code == 302
    assert Appeal.objects.get().status == Appeal.Status.UPHELD

    client.force_login(world["contact"])
    page = client.get(reverse("replies_portal:appeal_detail", args=[appeal.pk])).content.decode()
    assert "Decision upheld" in page and "The suspension was justified." in page


def test_an_appeal_page_after_the_window_says_when_it_closed(world, client):
    """The suspension came into force three weeks ago (its sign-off moved back): the window closed long since."""
    from escalation.models import SignOff

    SignOff.objects.filter(report__case=world["case"]).update(signed_at=timezone.now() - datetime.timedelta(days=21))
    closes = add_working_days(TODAY() - datetime.timedelta(days=21), 5)
    client.force_login(world["contact"])
    url = reverse("replies_portal:appeal_create", args=[decision_of(world["case"]).pk])
    page = client.get(url).content.decode()
    assert f"Appeals against this decision closed on {long_date(closes)}" in page
    assert "Send the appeal" not in page
    assert f"Appeals against this decision closed on {long_date(closes)}" in client.get(
        reverse("replies_portal:appeals")).content.decode()
    response = client.post(url, {"grounds": "Late"})
    assert f"Appeals against this decision closed on {long_date(closes)}" in response.content.decode()
    assert not Appeal.objects.exists()


def test_the_replies_permissions_are_rules_that_use_their_object(world):
    import inspect

    from core.rules import Rule

    found = [value for name, value in vars(perms).items() if name.startswith("can_")]
    assert len(found) == 5
    for rule in found:
        assert isinstance(rule, Rule) and list(inspect.signature(rule.__call__).parameters) == ["user", "obj"]
        assert not rule(world["independent"]["dmt"]), f"{rule.action}: with no object it must refuse"
    appeal = lodge(world)
    assert perms.can_decide_appeal(world["independent"]["dmt"], appeal)
    assert perms.can_appeal(world["contact"], world["case"]) and not perms.can_appeal(world["outsider"], world["case"])
    assert "took no part in the decision appealed against" in perms.can_decide_appeal.description


def test_the_pages_run_a_fixed_number_of_queries(people, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from escalation.models import ActionPlan

    def build(providers, actions):
        contact = UserFactory(roles=[])
        for _ in range(providers):
            provider = ProviderFactory()
            ProviderContact.objects.create(provider=provider, user=contact, name="C", email=f"{contact.username}@x.org")
            case = CaseFactory(level="ppm", provider=provider, owner=people["cqm"])
            if providers > 2:
                ConcernFactory(provider=provider, case=case, safeguarding=True, logged_by=people["cqm"])
            plan = ActionPlan.objects.create(case=case, level="ppm", kind="dap", start_date=TODAY(),
                                             review_date=TODAY() + datetime.timedelta(days=28),
                                             created_by=people["cqm"])
            for i in range(actions):
                action = PlanAction.objects.create(plan=plan, area_of_concern=f"Area {i}", action="Do it",
                                                   owner="provider", due_date=TODAY() + datetime.timedelta(days=7))
                ActionUpdate.objects.create(case=case, action=action, progress="p", proposed_status="complete",
                                            submitted_by=contact)
        return get_user_model().objects.get(pk=contact.pk)

    def count(user, url):
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return sum(not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for q in queries.captured_queries)

    small, large = build(2, 2), build(5, 6)
    for url in (reverse("replies_portal:actions"), reverse("replies_portal:appeals")):
        assert count(small, url) == count(large, url) <= 12, url
    assert count(people["cqm"], reverse("replies:index")) <= 12
