import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from concerns.models import Concern, JqmmMeeting, RiskMatrix, default_cells
from providers.models import Provider

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.uk")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set([Group.objects.get_or_create(name=name)[0] for name in extracted])
        self.save()


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    cqc_location_id = factory.Sequence(lambda n: f"1-{200000000 + n}")
    name = factory.Sequence(lambda n: f"Test Care Home {n}")
    address = "1 Test Street, Northfield"
    town = "Northfield"
    postcode = "NF1 1AA"
    service_types = "Residential homes"
    registered_manager = "A Manager"


class JqmmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JqmmMeeting

    meeting_date = factory.Sequence(lambda n: timezone.localdate() + datetime.timedelta(days=7 + n))
    location = "Town Hall"
    created_by = factory.SubFactory(UserFactory)


class ConcernFactory(factory.django.DjangoModelFactory):
    """ConcernFactory(state=...) builds a concern already in that state (the state is set at creation)."""

    class Meta:
        model = Concern

    reference = factory.Sequence(lambda n: f"CON-T{n:05d}")
    provider = factory.SubFactory(ProviderFactory)
    source = Concern.Source.CONTRACTS
    received_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=2))
    raised_by = "Care Management"
    description = "Staffing gaps at night"
    people_affected = 2
    care_management_refs = ["CM1001"]
    safety_concern = False
    position_of_trust = False
    referral_uncertain = False
    restricted = factory.LazyAttribute(lambda c: c.safety_concern or c.position_of_trust or c.referral_uncertain)
    logged_by = factory.SubFactory(UserFactory)
    state = factory.LazyAttribute(
        lambda c: Concern.State.AWAITING_ADVICE if c.restricted else Concern.State.AWAITING_ROUTING
    )

    class Params:
        safeguarding = factory.Trait(safety_concern=True)


def ensure_reference_data():
    """Groups and matrix v1 come from migrations; transactional tests flush them, so put them back."""
    from accounts.roles import ALL_ROLES

    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)
    from escalation.defaults import create_notification_recipients
    from escalation.models import NotificationRecipient

    create_notification_recipients(NotificationRecipient)
    from letters.defaults import create_default_templates
    from letters.models import LetterTemplate

    create_default_templates(LetterTemplate)
    from placements.defaults import create_placing_authorities
    from placements.models import PlacingAuthority

    create_placing_authorities(PlacingAuthority)
    if not RiskMatrix.objects.exists():
        RiskMatrix.objects.create(version=1, cells=default_cells(), note="Default")


class CaseFactory(factory.django.DjangoModelFactory):
    """CaseFactory(level=...) builds a case already at that level."""

    class Meta:
        model = "escalation.EscalationCase"

    reference = factory.Sequence(lambda n: f"CASE-T{n:05d}")
    provider = factory.SubFactory(ProviderFactory)
    level = "qa"
    owner = factory.SubFactory(UserFactory)
    opened_by = factory.SelfAttribute("owner")


MEETING_OUTCOME_FOR = {  # (QA's outcome, the other levels' outcome) for each review verdict
    "satisfactory": ("resolved", "satisfactory"), "escalate": ("not_resolved", "not_satisfactory"),
    "review_timescales": ("", "extend"),
}


def meeting_decided(case, outcome, meeting_date=None):
    """A meeting at the case's current level that decided `outcome` (what the ladder's guards read)."""
    from escalation.models import CaseMeeting

    return CaseMeeting.objects.create(
        case=case, level=case.level if case.level in ("qa", "ppm", "jimp", "sosg") else "qa",
        meeting_date=meeting_date or timezone.localdate(), attendees=[{"name": "A", "agency": "B"}],
        provider_attended=True, minutes="m", outcome=outcome, recorded_by=case.owner)


def satisfy_conditions(case, verdict="satisfactory"):
    """Give a case at any level what its guards ask for: a meeting at this level whose outcome matches the verdict
    ("satisfactory": close or step down; "escalate": escalate one step), a plan at this level and a review."""
    from escalation.models import ActionPlan, PerformanceReview

    today = timezone.localdate()
    qa_outcome, other_outcome = MEETING_OUTCOME_FOR[verdict]
    meeting_decided(case, qa_outcome if case.level == "qa" else other_outcome)
    if case.level in ("ppm", "jimp", "sosg"):
        plan = ActionPlan.objects.create(case=case, level=case.level, kind="cap", start_date=today,
                                         review_date=today + datetime.timedelta(days=28), created_by=case.owner)
        PerformanceReview.objects.create(plan=plan, review_date=today, verdict=verdict, notes="n",
                                         recorded_by=case.owner)
    return case


def sprg(people, case, decision, **kw):
    """An SPRG decision recorded today by `people["sprg"]` (the `people` fixture in conftest)."""
    from escalation import route_services

    return route_services.record_sprg_decision(user=people["sprg"], case_id=case.pk, decision=decision,
                                               meeting_date=timezone.localdate(), members_present="Chair; Finance; CQT",
                                               notes="Discussed", **kw)
