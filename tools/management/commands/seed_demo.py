"""Demo data for `make run`: a user for every role, providers, and concerns at every stage.

Idempotent: does nothing but print the sign-ins if the demo users exist already.
Everything is created through the services, so the demo has a real audit trail.
"""

import datetime
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from concerns import services as concern_services
from concerns.models import Concern, JqmmMeeting, RiskAssessment
from escalation import route_services
from escalation import services as case_services
from providers.models import Provider

DEMO_PASSWORD = "demo-password-2026"  # nosec B105 # the published demo password, for demo data only

DEMO_USERS = [
    ("officer", "Olivia", "Officer", [roles.CONTRACT_OFFICER]),
    ("officer2", "Oscar", "Owusu", [roles.CONTRACT_OFFICER]),
    ("cqm", "Chris", "Manager", [roles.CQM]),
    ("cqm2", "Carys", "Mensah", [roles.CQM]),
    ("safeguarding", "Sam", "Safeguard", [roles.SAFEGUARDING_LEAD]),
    ("sprg", "Priya", "Sharma", [roles.SPRG_MEMBER]),
    ("dmt", "Dan", "Metcalfe", [roles.DMT_MEMBER]),
    ("dass", "Diane", "Ashworth", [roles.DASS]),
    ("icb", "Imran", "Butt", [roles.ICB_COLLEAGUE]),
    ("auditor", "Alex", "Auditor", [roles.AUDITOR]),
    ("admin", "Ada", "Admin", [roles.ADMINISTRATOR]),
]

PROVIDERS = [
    ("1-101000001", "Oakwood Lodge Care Home", "14 Oak Lane, Northfield", "NF1 2AB", "Residential homes", "Janet Price"),
    ("1-101000002", "Riverside Nursing Home", "2 Quay Street, Northfield", "NF2 3CD", "Nursing homes", "Peter Lamb"),
    ("1-101000003", "Meadow View", "88 Meadow Road, Eastbrook", "EB4 5EF", "Residential homes", "Aisha Khan"),
    ("1-101000004", "Brookside Home Care", "Unit 4, Mill Yard, Eastbrook", "EB1 7GH", "Homecare agencies", "Tom Reid"),
    ("1-101000005", "Hillcrest Supported Living", "5 Hill Crescent, Westmoor", "WM3 8JK", "Supported living", "Grace Obi"),
    ("1-101000006", "The Elms Nursing Centre", "The Elms, Church Street, Westmoor", "WM1 2LM", "Nursing homes", ""),
    ("1-101000007", "Sunnyside Care Home", "31 Park Avenue, Northfield", "NF5 9NP", "Residential homes", "Ruth Evans"),
    ("1-101000008", "Willow Court", "Willow Court, Station Road, Southgate", "SG2 4QR", "Nursing homes", "Ian Marsh"),
    ("1-101000009", "Harbour House", "1 Harbour Walk, Southgate", "SG9 1ST", "Residential homes", "Nadia Ali"),
    ("1-101000010", "Kingfisher Home Care", "22 High Street, Northfield", "NF1 1UV", "Homecare agencies", "Lee Chan"),
    ("1-101000011", "Beech Tree House", "7 Beech Grove, Eastbrook", "EB2 6WX", "Residential homes", "Mary Quinn"),
    ("1-101000012", "Ashdown Care Village", "Ashdown Way, Westmoor", "WM6 3YZ", "Nursing homes, Residential homes", "Owen Hart"),
    ("1-101000013", "Cedar Grange", "3 Cedar Road, Northfield", "NF7 2BC", "Residential homes", "Hannah Wood"),
    ("1-101000014", "Foxglove House", "9 Foxglove Lane, Eastbrook", "EB5 3DE", "Nursing homes", "Raj Patel"),
    ("1-101000015", "Lark Rise Care Home", "Lark Rise, Southgate", "SG4 5FG", "Residential homes", "Emma Stone"),
    ("1-101000016", "Maple Lodge", "40 Maple Street, Westmoor", "WM2 6HJ", "Nursing homes", "Carl Ford"),
    ("1-101000017", "Orchard View", "1 Orchard Close, Northfield", "NF3 7KL", "Residential homes", "Fiona Gray"),
    ("1-101000018", "Primrose Court", "Primrose Court, Eastbrook", "EB6 8MN", "Nursing homes", "Gary Hill"),
    ("1-101000019", "Rowan House", "12 Rowan Way, Southgate", "SG6 9PQ", "Residential homes", "Helen Irwin"),
    ("1-101000020", "Thornbury Nursing Home", "Thornbury Road, Westmoor", "WM8 1RS", "Nursing homes", "Ivan Jones"),
]


def _pdf(name: str) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    body += b"trailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


class Command(BaseCommand):
    help = "Load demo users, providers and concerns (idempotent)."

    def handle(self, *args, **options):
        from django.conf import settings
        from django.core.management.base import CommandError

        if not getattr(settings, "DEMO_DATA_ALLOWED", False):  # only the local and test settings allow it
            raise CommandError("The demo data is never loaded on a live system: its users share a published "
                               "password. seed_demo refuses to run with the production settings (or any settings "
                               "that do not set DEMO_DATA_ALLOWED).")
        User = get_user_model()
        if User.objects.filter(username="officer").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                self._seed(User)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        keys = self._second_factors(User)
        self._print_credentials(keys)

    def _second_factors(self, User):
        """Every account needs a second factor: each demo user gets an authenticator-app key (kept if it has one)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts import mfa

        keys = {}
        for user in User.objects.filter(username__in=[u[0] for u in DEMO_USERS]):
            device = mfa.confirmed_app(user) or TOTPDevice.objects.create(user=user, name=mfa.APP_DEVICE_NAME,
                                                                          confirmed=True)
            keys[user.username] = mfa.key_base32(device)
        return keys

    def _print_credentials(self, keys):
        out = io.StringIO()
        out.write(f"\nDemo sign-ins (demo only), password for all: {DEMO_PASSWORD}\n")
        out.write("Then a security code: run `.venv/bin/python manage.py demo_code <username>` for the current one,\n"
                  "or add the user's key below to an authenticator app (time-based, 6 digits).\n")
        for username, first, last, role_names in DEMO_USERS:
            out.write(f"  {username:<13} {first + ' ' + last:<18} {', '.join(role_names):<32} key {keys.get(username, '-')}\n")
        self.stdout.write(out.getvalue())

    def _seed(self, User):
        users = {}
        for username, first, last, role_names in DEMO_USERS:
            user = User.objects.create_user(
                username=username, first_name=first, last_name=last, email=f"{username}@example.gov.uk",
                password=DEMO_PASSWORD, is_staff=username == "admin", is_superuser=username == "admin",
            )
            user.groups.set(Group.objects.filter(name__in=role_names))
            users[username] = User.objects.get(pk=user.pk)
        providers = {}
        for loc, name, address, postcode, types, manager in PROVIDERS:
            providers[loc] = Provider.objects.create(
                cqc_location_id=loc, name=name, address=address, town=address.split(",")[-1].strip(),
                postcode=postcode, service_types=types, registered_manager=manager,
            )
        officer, cqm, sg = users["officer"], users["cqm"], users["safeguarding"]
        today = timezone.localdate()
        # JQMMs are scheduled in the past in the demo by creating them directly (the service refuses past dates).
        past = JqmmMeeting.objects.create(meeting_date=today - datetime.timedelta(days=14), location="Town Hall, Room 2",
                                          chair=cqm, created_by=cqm)
        upcoming = concern_services.schedule_jqmm(user=cqm, meeting_date=today + datetime.timedelta(days=10),
                                                  location="Town Hall, Room 2", chair=cqm)

        def concern(loc, days_ago, source, description, flags=(False, False, False), people=1, refs=(), by=officer,
                    files=()):
            return concern_services.log_concern(
                user=by, provider_id=providers[loc].pk, files=files,
                data={"source": source, "received_on": today - datetime.timedelta(days=days_ago),
                      "raised_by": "Family member (daughter of a resident)" if source == "complaints"
                      else "Care Management social worker",
                      "description": description, "people_affected": people, "care_management_refs": list(refs),
                      "safety_concern": flags[0], "position_of_trust": flags[1], "referral_uncertain": flags[2]},
            )

        # 1. Waiting for safeguarding advice (restricted).
        concern("1-101000002", 1, "safeguarding",
                "Resident found with unexplained bruising; night staff member named in the allegation.",
                flags=(True, True, False), people=1, refs=["CM10442"], files=[_pdf("body-map.pdf")])
        # 2. Waiting for routing.
        concern("1-101000003", 3, "contracts",
                "Monthly contract return late for the second time; staffing rota shows gaps at weekends.", people=0)
        # 3. On the upcoming JQMM agenda, with an assessment.
        c3 = concern("1-101000004", 6, "complaints",
                     "Missed and late home care calls reported by three families over two weeks.", people=3,
                     refs=["CM20011", "CM20012", "CM20013"])
        concern_services.route_to_jqmm(user=officer, concern_id=c3.pk, meeting_id=upcoming.pk)
        concern_services.record_risk_assessment(user=officer, concern_id=c3.pk, engagement=1, impact=2, level=None)
        # 4. Restricted, advice recorded, sent straight to further action, same-day monitoring, assessed.
        c4 = concern("1-101000001", 210, "safeguarding",
                     "Medication administration errors on two units; one resident hospitalised.",
                     flags=(True, False, True), people=4, refs=["CM30001", "CM30002"], by=cqm)
        concern_services.record_safeguarding_advice(
            user=sg, concern_id=c4.pk, adviser="Sam Safeguard, Safeguarding Adults Team",
            advised_on=today - datetime.timedelta(days=209), advice="Raise a section 42 enquiry; visit today.")
        concern_services.route_to_further_action(user=cqm, concern_id=c4.pk,
                                                 reason="Risk of harm to residents cannot wait for the JQMM.")
        concern_services.share_concern(user=sg, concern_id=c4.pk, colleague=officer)
        concern_services.start_same_day_monitoring(
            user=officer, concern_id=c4.pk, monitoring_date=today - datetime.timedelta(days=209),
            carried_out_by="Olivia Officer and pharmacist", note="Medication audit on both units.")
        # 5. JQMM outcome: no further action.
        c5 = concern("1-101000007", 30, "internal", "Fire door wedged open during a routine visit.", people=0)
        concern_services.route_to_jqmm(user=officer, concern_id=c5.pk, meeting_id=upcoming.pk)
        Concern.objects.filter(pk=c5.pk).update(jqmm=past)  # demo: it was discussed at the last meeting
        concern_services.record_jqmm_outcome(user=cqm, concern_id=c5.pk, further_action=False,
                                             notes="Door closer fitted the same day; no further action.")
        # 6. JQMM outcome: further action.
        c6 = concern("1-101000008", 340, "contracts", "CQC rating dropped to Requires Improvement (safe domain).",
                     people=0)
        concern_services.route_to_jqmm(user=officer, concern_id=c6.pk, meeting_id=upcoming.pk)
        Concern.objects.filter(pk=c6.pk).update(jqmm=past)
        concern_services.record_jqmm_outcome(user=cqm, concern_id=c6.pk, further_action=True,
                                             notes="Arrange a QA meeting with the registered manager.")
        # Risk history over a year for two providers (assessment dates moved into the past for the demo).
        history = [(330, 0, 1), (250, 1, 2), (160, 2, 2), (90, 3, 3), (30, 3, 4), (5, 2, 3)]
        for days_ago, engagement, impact in history:
            a = concern_services.record_risk_assessment(user=officer, concern_id=c6.pk, engagement=engagement,
                                                        impact=impact, level=None)
            RiskAssessment.objects.filter(pk=a.pk).update(assessed_at=timezone.now() - datetime.timedelta(days=days_ago))
        for days_ago, engagement, impact in [(200, 1, 1), (120, 2, 1), (9, 3, 3)]:
            a = concern_services.record_risk_assessment(
                user=cqm, concern_id=c4.pk, engagement=engagement, impact=impact,
                level="jimp" if days_ago == 9 else None,
                override_reason="Hospital admission: multi-agency panel needed now" if days_ago == 9 else "")
            RiskAssessment.objects.filter(pk=a.pk).update(assessed_at=timezone.now() - datetime.timedelta(days=days_ago))
        self._seed_cases(users, providers, c4, c6, today)
        self._seed_routes(users, providers, today)

    def _seed_cases(self, users, providers, c4, c6, today):
        """Escalation cases at every level of the ladder, each moved there through the services."""
        cqm, officer = users["cqm"], users["officer"]
        attendees = [{"name": "Chris Manager", "agency": "Council CQT"},
                     {"name": "Registered manager", "agency": "Provider"},
                     {"name": "Quality lead", "agency": "GM ICB"}]

        def meeting(case, outcome):
            case_services.record_meeting(user=officer, case_id=case.pk, meeting_date=today, attendees=attendees,
                                         provider_attended=True, minutes="Concerns discussed with the provider.",
                                         outcome=outcome)

        def plan(case, kind="cap", actions=()):
            p = case_services.create_plan(user=officer, case_id=case.pk, kind=kind, start_date=today,
                                          review_date=today + datetime.timedelta(days=28))
            for area, action, owner, days in actions:
                case_services.add_action(user=officer, plan_id=p.pk, area_of_concern=area, action=action,
                                         owner=owner, due_date=today + datetime.timedelta(days=days))
            return p

        def open_at(loc, level, rationale="", concern_ids=(), joint=False):
            return case_services.open_case(user=cqm, provider_id=providers[loc].pk, level=level,
                                           concern_ids=concern_ids, rationale=rationale, jointly_commissioned=joint)

        # QA meeting stage (Harbour House).
        qa = open_at("1-101000009", "qa", rationale="Complaints cluster: meet the provider and raise the concern.")
        meeting(qa, "Provider to send a staffing plan within two weeks.")
        # PPM with a DAP/CAP and a review that moved the timescales (Willow Court, from its JQMM concern).
        ppm = open_at("1-101000008", "ppm", concern_ids=[c6.pk])
        meeting(ppm, "Corrective action plan agreed.")
        p = plan(ppm, "cap", [("Staffing", "Recruit two night nurses", "provider", 21),
                              ("Training", "Safeguarding refresher for all staff", "provider", 14),
                              ("Monitoring", "Unannounced visit", "council", 10)])
        case_services.record_review(user=officer, plan_id=p.pk, review_date=today, verdict="review_timescales",
                                    notes="Recruitment under way; allow two more weeks.",
                                    new_review_date=today + datetime.timedelta(days=42))
        # JIMP straight away, with a rationale for skipping steps (Oakwood Lodge, safeguarding).
        jimp = open_at("1-101000001", "jimp", concern_ids=[c4.pk], joint=True,
                       rationale="Serious safeguarding concerns: medication errors led to a hospital admission.")
        meeting(jimp, "Multi-agency DAP agreed; pharmacist to audit weekly.")
        plan(jimp, "dap", [("Medication", "Weekly pharmacist audit", "partner", 7),
                           ("Leadership", "Appoint a deputy manager", "provider", 30)])
        # SOSG, escalated up the ladder (Ashdown Care Village).
        sosg = open_at("1-101000012", "ppm", rationale="Repeated CQC enforcement; viability in doubt.")
        meeting(sosg, "Plan agreed.")
        plan(sosg, "cap", [("Governance", "Independent governance review", "provider", 14)])
        case_services.move_case(user=cqm, case_id=sosg.pk, transition_name="escalate_to_jimp",
                                reason="No improvement at PPM review.")
        plan(sosg, "cap", [("Governance", "Weekly multi-agency check-in", "council", 7)])
        case_services.move_case(user=cqm, case_id=sosg.pk, transition_name="escalate_to_sosg",
                                reason="Care is becoming unsafe; intensive oversight needed.")
        plan(sosg, "cap", [("Staffing", "Agency staff cover guaranteed", "provider", 3)])
        # Closed after the QA meeting resolved the issues (Sunnyside).
        closed = open_at("1-101000007", "qa", rationale="Fire safety follow-up.")
        meeting(closed, "Door closers fitted; fire risk assessment updated.")
        case_services.move_case(user=cqm, case_id=closed.pk, transition_name="close",
                                reason="Issues resolved at the QA meeting.")
        # Provider failure after an unsatisfactory SOSG review (Beech Tree House).
        failed = open_at("1-101000011", "sosg", rationale="Provider has announced it will close the service.")
        p = plan(failed, "cap", [("Continuity", "Transfer plan for each resident", "council", 5)])
        case_services.record_review(user=officer, plan_id=p.pk, review_date=today, verdict="escalate",
                                    notes="Provider cannot continue to operate.")
        case_services.move_case(user=cqm, case_id=failed.pk, transition_name="refer_provider_failure",
                                reason="Provider unable to continue; Provider Failure Policy applies.")

    def _seed_routes(self, users, providers, today):
        """A provider in every state of the suspension routes (docs/process.md, section 4), each moved there through the services."""
        cqm, sprg, dmt, dass, icb, officer = (users[k] for k in ("cqm2", "sprg", "dmt", "dass", "icb", "officer"))
        later = today + datetime.timedelta(days=90)

        def decide(case, decision, **kw):
            route_services.record_sprg_decision(user=sprg, case_id=case.pk, decision=decision, meeting_date=today,
                                                members_present="Head of Commissioning (chair); Finance; CQM; ICB",
                                                notes=f"Demo: {decision.replace('_', ' ')}", **kw)

        def report(case, lifting=False):
            kw = {"conditional": True, "oversight_until": later,
                  "conditions": [{"condition": "Weekly staffing return to the CQT",
                                  "review_date": today + datetime.timedelta(days=30)}]} if lifting else {}
            route_services.write_report(user=cqm, case_id=case.pk, body="Demo report to DMT.", **kw)

        def version(case):
            return case.__class__.objects.get(pk=case.pk).current_report().version

        def advance(loc, target, joint=False):
            case = case_services.open_case(user=cqm, provider_id=providers[loc].pk, level="sosg",
                                           rationale="Demo: serious concerns about quality and safety",
                                           jointly_commissioned=joint)
            decide(case, "agree_at_risk")
            plan = route_services.create_improvement_plan(user=officer, case_id=case.pk, start_date=today,
                                                          review_date=today + datetime.timedelta(days=28))
            case_services.add_action(user=officer, plan_id=plan.pk, area_of_concern="Staffing",
                                     action="Safe staffing levels on every shift", owner="provider",
                                     due_date=today + datetime.timedelta(days=14))
            if target == "at_risk":
                return case
            if target == "oversight":
                decide(case, "route1_fully_complied", oversight_until=later)
                return case
            decide(case, "route1_not_complied")
            report(case)
            if target == "suspension_proposed":
                return case
            route_services.record_dmt_decision(user=dmt, case_id=case.pk, endorsed=True, rationale="",
                                               report_version=version(case))
            if target == "suspension_endorsed":
                return case
            route_services.sign_off(user=dass, case_id=case.pk, capacity="dass", report_version=version(case))
            if joint:
                route_services.sign_off(user=icb, case_id=case.pk, capacity="icb", report_version=version(case))
            if target == "suspended":
                return case
            if target == "provider_failure":
                decide(case, "provider_failed")
                return case
            decide(case, "sufficient_progress", open_areas_reason="Demo: staffing plan in place")
            report(case, lifting=True)
            if target == "lifting_proposed":
                return case
            route_services.record_dmt_decision(user=dmt, case_id=case.pk, endorsed=True, rationale="",
                                               report_version=version(case))
            if target == "lifting_endorsed":
                return case
            route_services.sign_off(user=dass, case_id=case.pk, capacity="dass", report_version=version(case))
            if joint:
                route_services.sign_off(user=icb, case_id=case.pk, capacity="icb", report_version=version(case))
            return case

        advance("1-101000013", "at_risk")
        advance("1-101000014", "suspension_proposed")
        advance("1-101000015", "suspension_endorsed", joint=True)
        advance("1-101000016", "suspended", joint=True)
        advance("1-101000017", "lifting_proposed")
        advance("1-101000018", "lifting_endorsed")
        advance("1-101000019", "oversight")
        advance("1-101000020", "lifted")
        advance("1-101000010", "provider_failure")
        # Demo only: age two deadlines so the home pages show something due today and something overdue.
        from deadlines.models import Deadline

        first = Deadline.objects.filter(kind="dmt_consideration", status="open").order_by("pk")
        first.filter(pk__in=first.values("pk")[:1]).update(due_date=today - datetime.timedelta(days=2))
        actions = Deadline.objects.filter(kind="plan_action", status="open").order_by("pk")
        actions.filter(pk__in=actions.values("pk")[:1]).update(due_date=today)
        self._seed_letters(users, today)

    def _seed_letters(self, users, today):
        """An issued, delivered at-risk letter (its 5-working-day deadline running) and a draft suspension letter."""
        from escalation.models import EscalationCase
        from letters import services as letter_services

        cqm = users["cqm2"]
        cedar = EscalationCase.objects.get(provider__cqc_location_id="1-101000013")
        letter = letter_services.create_draft(
            user=cqm, case_id=cedar.pk, kind="at_risk",
            addressee="Hannah Wood\nCedar Grange\n3 Cedar Road\nNorthfield\nNF7 2BC",
            free_text="Staffing fell below safe levels on four nights in October, and two medication errors were "
                      "not reported to the council.")
        letter = letter_services.issue_letter(user=cqm, letter_id=letter.pk)
        letter_services.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=today)
        maple = EscalationCase.objects.get(provider__cqc_location_id="1-101000016")
        letter_services.create_draft(
            user=users["officer"], case_id=maple.pk, kind="suspension",
            addressee="Carl Ford\nMaple Lodge\n40 Maple Street\nWestmoor\nWM2 6HJ",
            free_text="The improvement plan agreed on Route 1 has not been complied with.")
