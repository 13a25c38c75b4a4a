"""The demo data (`manage.py seed_demo`): built through the services on back-dated days, so what the demo shows is
what the application would have recorded: plain wording, deadlines that agree with what started them, and a
history in the order it happened."""

import datetime
import re
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import Event
from concerns.models import RiskAssessment
from deadlines import services as deadline_services
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from escalation import route_services
from escalation.models import ActionPlan, CaseMeeting, DecisionReport, EscalationCase, Level, PlanAction, Route
from letters.models import Letter
from tests.factories import CaseFactory, UserFactory, ensure_reference_data

PLACEHOLDER = re.compile(r"\b(demo|lorem|ipsum|test|testing|placeholder|todo)\b", re.IGNORECASE)
SEEDED_APPS = ["concerns", "escalation", "deadlines", "letters", "providers", "audit"]


class SeedDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        ensure_reference_data()  # roles and matrix v1 are migration data, which transactional tests flush
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        cls.today = timezone.localdate()

    def test_no_placeholder_text_in_any_seeded_text_field(self):
        found = []
        for app in SEEDED_APPS:
            for model in apps.get_app_config(app).get_models():
                fields = [f.name for f in model._meta.concrete_fields
                          if isinstance(f, (models.CharField, models.TextField, models.JSONField))
                          and not isinstance(f, models.FileField)]
                for row in model.objects.values("pk", *fields):
                    for name in fields:
                        text = str(row[name] or "")
                        if PLACEHOLDER.search(text):
                            found.append(f"{model.__name__} {row['pk']} {name}: {text[:80]}")
        assert not found, found

    def test_no_placeholder_text_on_the_case_pages(self):
        self.client.force_login(get_user_model().objects.get(username="cqm"))  # cleared for every concern
        for case in EscalationCase.objects.all():
            page = self.client.get(reverse("escalation:detail", args=[case.pk]))
            assert page.status_code == 200
            text = re.sub(r"<[^>]+>", " ", page.content.decode())
            assert not re.search(r"\bDemo\b|lorem", text), (case.reference, re.search(r".{60}\bDemo\b.{60}", text))

    def test_every_open_deadline_is_due_when_its_source_says(self):
        live = Deadline.objects.filter(status__in=deadline_services.LIVE).select_related("case")
        assert live.count() > 10
        for deadline in live:
            case = deadline.case
            if deadline.kind == Deadline.Kind.PLAN_ACTION:
                action = PlanAction.objects.get(pk=deadline.key.split(":")[1])
                assert (deadline.due_date, action.status != PlanAction.Status.COMPLETE) == (action.due_date, True)
            elif deadline.kind == Deadline.Kind.PLAN_REVIEW:
                plan = ActionPlan.objects.get(pk=deadline.key.split(":")[1])
                assert deadline.due_date == plan.review_date, deadline.key
            elif deadline.kind == Deadline.Kind.IMPROVEMENT_PLAN:
                letter = Letter.objects.get(pk=deadline.key.split(":")[2])
                assert deadline.due_date == add_working_days(letter.delivered_on, 5)
                assert case.improvement_plan() is None, "the plan is written: its deadline is met"
            elif deadline.kind in (Deadline.Kind.ROUTE1_DECISION, Deadline.Kind.DMT_CONSIDERATION,
                                   Deadline.Kind.SPRG_MONTHLY):
                assert deadline.due_date == case.route_deadline, (case.reference, deadline.kind)
            elif deadline.kind == Deadline.Kind.OVERSIGHT_END:
                assert deadline.due_date == case.oversight_until
            elif deadline.kind == Deadline.Kind.CONDITION_REVIEW:
                report = DecisionReport.objects.get(pk=deadline.key.split(":")[1])
                condition = report.conditions[int(deadline.key.split(":")[2])]
                assert deadline.due_date.isoformat() == condition["review_date"]
        # One live route deadline per case, and none on a case that has ended.
        route_kinds = [Deadline.Kind.ROUTE1_DECISION, Deadline.Kind.DMT_CONSIDERATION, Deadline.Kind.SPRG_MONTHLY]
        for case in EscalationCase.objects.all():
            count = case.deadlines.filter(kind__in=route_kinds, status__in=deadline_services.LIVE).count()
            assert count <= (1 if case.is_open else 0), case.reference

    def test_history_is_in_date_order_and_nothing_is_in_the_future(self):
        now = timezone.now()
        timelines = defaultdict(list)
        for event in Event.objects.order_by("id"):
            timelines[(event.content_type_id, event.object_id)].append(event.at)
        assert max(at for times in timelines.values() for at in times) <= now
        for key, times in timelines.items():
            assert times == sorted(times), key
        # The records carry the day they happened: meetings recorded on the meeting day, assessments on theirs.
        local = timezone.localdate
        for meeting in CaseMeeting.objects.all():
            assert local(meeting.recorded_at) == meeting.meeting_date, meeting
        for assessment in RiskAssessment.objects.all():
            event = Event.objects.get(kind="risk_assessed", object_id=str(assessment.pk))
            assert local(event.at) == local(assessment.assessed_at)
        # The history is weeks old where the process takes weeks.
        oldest = EscalationCase.objects.order_by("opened_at").first()
        assert local(oldest.opened_at) < self.today - datetime.timedelta(days=90)

    def test_every_stage_is_shown_and_the_managers_have_something_due_today_and_overdue(self):
        cases = EscalationCase.objects.all()
        assert set(Level.values) <= set(cases.values_list("level", flat=True))
        assert set(Route.values) <= set(cases.values_list("route", flat=True))
        assert cases.filter(reopened_from__isnull=False, level=Level.QA).exists()
        for username in ("cqm", "cqm2"):
            user = get_user_model().objects.get(username=username)
            due = [d.due_date for d in deadline_services.due_for(user)]
            assert self.today in due and min(due) < self.today, username
            self.client.force_login(user)
            page = self.client.get(reverse("home")).content.decode()
            for deadline in deadline_services.due_for(user).filter(due_date__lte=self.today):
                assert deadline.case.reference in page


@pytest.mark.django_db
def test_the_sprg_decision_is_the_improvement_plans_review_so_its_review_deadline_is_met(client):
    """The improvement plan is reviewed by the SPRG (docs/process.md, Route 1 steps 4-5): once the SPRG has
    decided, the plan's review no longer shows on the case manager's list as due."""
    users = {name: UserFactory(roles=[role]) for name, role in
             [("cqm", roles.CQM), ("officer", roles.CONTRACT_OFFICER), ("sprg", roles.SPRG_MEMBER)]}
    case = CaseFactory(level="sosg", owner=users["cqm"])
    today = timezone.localdate()

    def decide(service):
        service(user=users["sprg"], case_id=case.pk, meeting_date=today, members_present="Chair; Finance; CQT",
                notes="Progress on the improvement plan considered.")

    decide(route_services.agree_at_risk)
    route_services.create_improvement_plan(user=users["officer"], case_id=case.pk, start_date=today,
                                           review_date=today + datetime.timedelta(days=7))
    client.force_login(users["cqm"])
    assert "Review of the improvement plan" in client.get(reverse("home")).content.decode()
    decide(route_services.record_non_compliance)
    assert "Review of the improvement plan" not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_scale_adds_coherent_synthetic_volume():
    from accounts import roles
    from concerns.models import Concern
    from escalation.models import EscalationCase
    from tests.factories import UserFactory
    from tools import scale

    users = {name: UserFactory(roles=[roles.CQM]) for name in ("officer", "officer2", "cqm", "cqm2")}
    counts = scale.build(1, users, out=lambda *_: None)
    assert counts["providers"] == 20 and counts["concerns"] == 2500 and counts["open cases"] == 5
    assert counts["open deadlines"] == 500 and counts["audit events"] == 10_000
    synthetic = Concern.objects.filter(reference__startswith="CON-S")
    assert synthetic.count() == 2500
    # Clearance flags agree with the answers, and a concern waiting for advice is a restricted one.
    assert not synthetic.filter(restricted=True, safety_concern=False).exists()
    assert not synthetic.filter(state=Concern.State.AWAITING_ADVICE, restricted=False).exists()
    # Every concern taken further has its risk assessment; one open case per provider.
    assert not synthetic.filter(state=Concern.State.FURTHER_ACTION, risk_assessments__isnull=True).exists()
    assert EscalationCase.objects.open().values("provider").distinct().count() == 5
