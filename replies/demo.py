"""Demo data for providers' updates and appeals (called by `seed_demo` after the portal's demo contacts exist).

If the portal's demo contact `provider` exists, two more providers have their placements suspended today (urgent
safety concerns, straight to Route 2), each with an improvement-plan action, and the `provider` contact is made a
contact of both: on the first they have sent an update waiting for the council and an appeal waiting for a decision;
the second they can still appeal against themselves. The suspensions are endorsed by a second DMT member (`dmt2`),
so the demo DMT member (`dmt`) took no part and can decide the appeal. Without the `provider` contact nothing is
made. Built through the services, as people would."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles
from escalation import route_services
from escalation import services as case_services
from escalation.models import EscalationCase, PlanAction
from providers.models import Provider, ProviderContact

from . import services

CONTACT_USERNAME = "provider"
MEMBERS = "Head of Commissioning (chair); Finance Business Partner; Contracts and Quality Manager"
STORIES = [
    ("A resident with dementia left the building unnoticed at night and was found on the main road. The door alarm "
     "had been switched off for a week.",
     "Night-time security", "Repair every door alarm and check it daily; record each check in the maintenance log"),
    ("Medicines were given by staff with no medication training on three shifts in one week, and two controlled "
     "drugs counts did not match.",
     "Medication", "Every member of staff who gives medicines completes the medication training and competency check"),
]


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = (b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _second_dmt_member(users):
    User = get_user_model()
    member = User.objects.filter(username="dmt2").first()
    if member is None:
        member = User.objects.create_user(username="dmt2", first_name="Delia", last_name="Mortimer",
                                          email="dmt2@example.gov.uk")
        User.objects.filter(pk=member.pk).update(password=users["officer"].password)  # the demo password
        member.groups.set(Group.objects.filter(name=roles.DMT_MEMBER))
    return User.objects.get(pk=member.pk)


def _suspend_today(users, endorser, provider, story):
    """Open a case at SOSG, urgent safety concerns straight to Route 2, the report, DMT, the DASS: in force today."""
    today = timezone.localdate()
    cqm = users["cqm"]
    why, area, action = story
    case = case_services.open_case(user=cqm, provider_id=provider.pk, level="sosg",
                                   rationale=f"Urgent safety concerns: {why}")
    route_services.go_straight_to_route2(user=users["sprg"], case_id=case.pk, meeting_date=today,
                                         members_present=MEMBERS, notes=f"Urgent safety concerns. {why}")
    route_services.write_report(user=cqm, case_id=case.pk,
                                body=f"The SPRG recommends suspending new placements at {provider.name} at once. {why}")
    route_services.endorse_suspension_report(user=endorser, case_id=case.pk, report_version=1,
                                             rationale="The risk to residents justifies suspension now.")
    route_services.sign_off_suspension(user=users["dass"], case_id=case.pk, capacity="dass", report_version=1)
    plan = route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=today,
                                                  review_date=today + datetime.timedelta(days=28))
    case_services.add_action(user=cqm, plan_id=plan.pk, area_of_concern=area, action=action, owner="provider",
                             due_date=today + datetime.timedelta(days=14))
    return EscalationCase.objects.get(pk=case.pk)


def build(users) -> None:
    contact_row = (ProviderContact.objects.filter(user__username=CONTACT_USERNAME, is_active=True)
                   .select_related("user").order_by("pk").first())
    if contact_row is None:
        return
    contact = contact_row.user
    endorser = _second_dmt_member(users)
    busy = EscalationCase.objects.open().values("provider_id")
    free = list(Provider.objects.exclude(pk__in=busy).exclude(contacts__isnull=False)
                .filter(provider_failure_flagged_on__isnull=True).order_by("pk")[:len(STORIES)])
    cases = []
    for provider, story in zip(free, STORIES, strict=False):
        cases.append(_suspend_today(users, endorser, provider, story))
        # The same person manages this home too: one contact row per person per provider.
        ProviderContact.objects.create(provider=provider, user=contact, name=contact_row.name,
                                       email=contact_row.email, job_title=contact_row.job_title,
                                       added_by=users["cqm"])
    if not cases:
        return
    first = cases[0]
    contact = get_user_model().objects.get(pk=contact.pk)  # fresh: the providers it may act for have changed
    action = PlanAction.objects.filter(plan__case=first).order_by("pk").first()
    services.send_action_update(user=contact, action_id=action.pk, proposed_status="in_progress",
                                progress="Two door alarms were faulty and have been replaced. Every alarm is now "
                                         "checked each evening; the log for the first week is attached.",
                                files=[_pdf("door-alarm-checks.pdf", "Door alarm check log, week 1")])
    report = first.reports.get(kind="suspension", superseded=False)
    services.lodge_appeal(user=contact, decision_id=report.pk,
                          grounds="The alarm had been switched off by a contractor without our knowledge, and we "
                                  "reinstated it the same day we found out. We ask the council to reconsider the "
                                  "suspension in the light of the steps set out in the attached action log.",
                          files=[_pdf("action-log.pdf", "Action log since the incident")])
