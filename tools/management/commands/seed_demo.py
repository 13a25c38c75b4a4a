"""Demo data for `make run`: a user for every role, providers, and concerns and cases at every stage.

Idempotent: does nothing but print the sign-ins if the demo users exist already.
Every record is made through the services, never by editing rows, so deadlines, audit events and timelines agree.
Where a case must look weeks old, the clock is set back (time-machine) while the services record each step, in
date order for each case: created and recorded times, working-day deadlines and audit events all match the day
the step happened. Today's steps use the real clock.
"""

import contextlib
import datetime
import io
import zoneinfo

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import roles
from concerns import services as concern_services
from core.csv_export import SafeWriter
from deadlines.workingdays import add_working_days, is_working_day
from escalation import route_services
from escalation import services as case_services
from escalation.models import EscalationCase, Level, PlanAction, RouteNotification
from escalation.route_services import one_month_after
from intelligence import demo as intelligence_demo
from letters import services as letter_services
from placements import demo as placements_demo
from portal import demo as portal_demo
from providers import importer as provider_importer
from providers import services as provider_services
from providers.models import Provider
from replies import demo as replies_demo

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
    ("caremanager", "Carmen", "Mills", [roles.CARE_MANAGER]),
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


class Clock:
    """Back-dates the clock while the services record each step (time-machine), so created and recorded times,
    working-day deadlines and audit events all read as if the step happened on its day. The steps of one case are
    taken in date order; steps on the same day follow each other a couple of minutes apart, in the order taken.
    Today's steps use the real clock, so nothing is ever recorded at a time still to come."""

    def __init__(self):
        self.today = timezone.localdate()
        self._taken: dict[datetime.date, int] = {}

    def ago(self, days: int) -> datetime.date:
        """The working day `days` calendar days ago (or the working day before it)."""
        day = self.today - datetime.timedelta(days=days)
        while not is_working_day(day):
            day -= datetime.timedelta(days=1)
        return day

    def ahead(self, days: int) -> datetime.date:
        """The working day `days` calendar days from today (or the working day after it)."""
        day = self.today + datetime.timedelta(days=days)
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day

    def on_or_before(self, day: datetime.date) -> datetime.date:
        return self.ago((self.today - day).days)

    def after(self, day: datetime.date, working_days: int) -> datetime.date:
        return add_working_days(day, working_days)

    @contextlib.contextmanager
    def on(self, day: datetime.date):
        if day > self.today:
            raise ValueError(f"The demo cannot record a step on {day}: it is still to come")
        if day == self.today:
            yield
            return
        taken = self._taken.get(day, 0)
        self._taken[day] = taken + 1
        start = datetime.datetime.combine(day, datetime.time(8, 30), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        with time_machine.travel(start + datetime.timedelta(minutes=2 * taken), tick=True):
            yield


SPRG_MEMBERS = ("Head of Commissioning (chair); Finance Business Partner; Contracts and Quality Manager; "
                "ICB Quality Lead; Safeguarding Adults Manager")
OTHER_AGENCIES = [{"name": "Helen Carter", "agency": "Northfield Integrated Care Board (quality lead)"},
                  {"name": "Sam Safeguard", "agency": "Safeguarding Adults Team"}]
CQC_INSPECTOR = {"name": "Martin Shaw", "agency": "Care Quality Commission (inspector)"}

# The suspension routes (docs/process.md section 4): one provider at each state, with its own story.
# (location, state reached, days ago the SPRG agreed 'at risk', jointly commissioned, opening rationale,
#  what the at-risk letter sets out, the improvement plan's areas and actions)
ROUTE_CASES = [
    ("1-101000013", "at_risk", 7, False,
     "CQT visit found staffing below the assessed safe level on four nights in a month and two medication errors "
     "that were not reported to the council. The registered manager has been off sick for six weeks.",
     "On four nights in October the home was staffed below the level in its own dependency tool. Two medication "
     "errors, one a missed dose of an anticoagulant, were not reported to the council or to the GP.",
     ["Staffing", "Medication", "Leadership"]),
    ("1-101000014", "suspension_proposed", 37, False,
     "Three safeguarding enquiries in two months about pressure ulcers that were not reported until the residents "
     "were admitted to hospital. Nursing records do not show repositioning as planned.",
     "Three residents developed grade 3 or 4 pressure ulcers that were not reported until hospital admission. "
     "Repositioning charts were incomplete for every resident the team sampled.",
     ["Tissue viability", "Care records", "Clinical leadership"]),
    ("1-101000015", "suspension_endorsed", 36, True,
     "CQC rated the home Inadequate in the safe and well-led domains and served a warning notice about infection "
     "control. The ICB funds nine residents under continuing healthcare.",
     "CQC rated the home Inadequate in the safe and well-led domains. Our own visit found soiled equipment in two "
     "bathrooms and no cleaning schedule for the sluice rooms.",
     ["Infection control", "Governance", "Staff training"]),
    ("1-101000016", "suspended", 73, True,
     "Falls have doubled over the quarter and two residents were found on the floor at the morning handover. "
     "Agency nurses make up half of the night rota. The ICB funds six residents under continuing healthcare.",
     "Falls doubled in the quarter, and two residents lay on the floor until the morning handover. Half of the night "
     "nursing shifts are covered by agency nurses who have not had an induction.",
     ["Falls prevention", "Staffing", "Dependency assessment"]),
    ("1-101000017", "lifting_proposed", 102, False,
     "Repeated complaints from families about poor food and fluid intake; two residents admitted to hospital "
     "dehydrated. Food and fluid charts were blank for whole days.",
     "Two residents were admitted to hospital dehydrated. Food and fluid charts for residents at risk were left "
     "blank for whole days, and the kitchen had no list of special diets.",
     ["Nutrition and hydration", "Care records", "Complaints handling"]),
    ("1-101000018", "lifting_endorsed", 110, False,
     "Whistleblower reported that residents with dementia are locked in their rooms at night. No Deprivation of "
     "Liberty Safeguards applications had been made for them.",
     "A staff member reported that residents living with dementia were locked in their rooms at night. No "
     "Deprivation of Liberty Safeguards applications had been made for any of them.",
     ["Mental Capacity Act", "Night practice", "Leadership"]),
    ("1-101000019", "oversight", 60, False,
     "Medicines audit by the ICB pharmacist found 14 recording errors in one week and controlled drugs stored in "
     "an unlocked cupboard.",
     "The ICB pharmacist's audit found 14 recording errors in one week, and controlled drugs were kept in an "
     "unlocked cupboard in the treatment room.",
     ["Medicines management", "Staff competency", "Audit"]),
    ("1-101000020", "lifted", 151, False,
     "Registered manager left without notice; no clinical lead in post. Care plans have not been reviewed for six "
     "months and two residents' end-of-life wishes were not recorded.",
     "The home has had no registered manager or clinical lead since the summer. Care plans have not been reviewed "
     "for six months, and end-of-life wishes were missing for two residents receiving palliative care.",
     ["Leadership", "Care planning", "End of life care"]),
    ("1-101000010", "provider_failure", 101, False,
     "Missed home care calls rose to 40 in a month, including time-critical medication calls. The agency has lost "
     "a third of its carers since the spring.",
     "Forty calls were missed in September, eleven of them time-critical medication calls. The agency has lost a "
     "third of its carers since the spring and has no plan to replace them.",
     ["Call reliability", "Workforce", "Medication calls"]),
]


class DemoHistory:
    """Builds the demo's history through the services, step by step, on the days the steps happened."""

    def __init__(self, users, clock: Clock):
        self.u = users
        self.clock = clock
        self.providers: dict[str, Provider] = {}

    def build(self):
        self.register()
        self.concerns()
        self.ladder_cases()
        for story in ROUTE_CASES:
            self.route_case(*story)

    # --- helpers ---------------------------------------------------------------------------------------------

    def at(self, day, service, **kwargs):
        """Call a service as if on `day`."""
        with self.clock.on(day):
            return service(**kwargs)

    def attendees(self, case) -> list[dict]:
        provider, level = case.provider, case.level
        people = [{"name": case.owner.get_full_name(), "agency": "Contracts and Quality Team (chair)"},
                  {"name": "Olivia Officer", "agency": "Contracts and Quality Team"}]
        if provider.registered_manager:
            people.append({"name": provider.registered_manager, "agency": f"{provider.name} (registered manager)"})
        if level in (Level.JIMP, Level.SOSG):
            people += OTHER_AGENCIES
        if level == Level.SOSG:
            people.append(CQC_INSPECTOR)
        return people

    def meeting(self, case, day, outcome: str, notes: str, minutes: str, provider_attended: bool = True):
        """Every meeting on a case is recorded here, so a change to the meeting record is one edit.
        `outcome` is what the meeting decided (resolved, not_resolved, satisfactory, extend, not_satisfactory)."""
        case = EscalationCase.objects.select_related("provider", "owner").get(pk=case.pk)
        return self.at(day, case_services.record_meeting, user=self.u["officer"], case_id=case.pk, meeting_date=day,
                       attendees=self.attendees(case), provider_attended=provider_attended, minutes=minutes,
                       outcome=outcome, outcome_notes=notes)

    def plan(self, case, day, kind, review_date, actions):
        officer = self.u["officer"]
        plan = self.at(day, case_services.create_plan, user=officer, case_id=case.pk, kind=kind, start_date=day,
                       review_date=review_date)
        return plan, [self.at(day, case_services.add_action, user=officer, plan_id=plan.pk, area_of_concern=area,
                              action=action, owner=owner, due_date=due) for area, action, owner, due in actions]

    def done(self, action, day, evidence):
        action = PlanAction.objects.get(pk=action.pk)
        return self.at(day, case_services.update_action, user=self.u["officer"], action_id=action.pk,
                       status=PlanAction.Status.COMPLETE, evidence=evidence, due_date=action.due_date)

    def progress(self, action, day, note, status=PlanAction.Status.IN_PROGRESS):
        self.at(day, case_services.add_progress_note, user=self.u["officer"], action_id=action.pk, note=note)
        action = PlanAction.objects.get(pk=action.pk)
        if action.status != status:
            self.at(day, case_services.update_action, user=self.u["officer"], action_id=action.pk, status=status,
                    evidence=action.evidence, due_date=action.due_date)
        return PlanAction.objects.get(pk=action.pk)

    def redate(self, action, day, due_date, reason):
        action = PlanAction.objects.get(pk=action.pk)
        return self.at(day, case_services.update_action, user=self.u["officer"], action_id=action.pk,
                       status=action.status, evidence=action.evidence, due_date=due_date, reason=reason)

    def review(self, plan, day, verdict, notes, new_review_date=None):
        return self.at(day, case_services.record_review, user=self.u["officer"], plan_id=plan.pk, review_date=day,
                       verdict=verdict, notes=notes, new_review_date=new_review_date)

    def concern(self, loc, received, logged, source, raised_by, description, *, people=0, refs=(), flags=None,
                by=None, files=()):
        safety, trust, unsure = flags or (False, False, False)
        return self.at(logged, concern_services.log_concern, user=by or self.u["officer"],
                       provider_id=self.providers[loc].pk, files=files,
                       data={"source": source, "received_on": received, "raised_by": raised_by,
                             "description": description, "people_affected": people,
                             "care_management_refs": list(refs), "safety_concern": safety,
                             "position_of_trust": trust, "referral_uncertain": unsure})

    def assess(self, concern, day, engagement, impact, notes, by=None):
        return self.at(day, concern_services.record_risk_assessment, user=by or self.u["officer"],
                       concern_id=concern.pk, engagement=engagement, impact=impact, level=None, notes=notes)

    def letter(self, case, kind, day, free_text, *, issue=True, delivered=None, meeting_date=None):
        provider = case.provider
        addressee = "\n".join(filter(None, [provider.registered_manager,
                                            "Registered Manager" if provider.registered_manager else "The Manager",
                                            provider.name, *[p.strip() for p in provider.address.split(",")],
                                            provider.postcode]))
        letter = self.at(day, letter_services.create_draft, user=self.u["officer"], case_id=case.pk, kind=kind,
                         addressee=addressee, free_text=free_text, meeting_date=meeting_date)
        if issue:
            letter = self.at(day, letter_services.issue_letter, user=case.owner, letter_id=letter.pk)
        if delivered:
            letter = self.at(delivered, letter_services.record_delivery, user=self.u["officer"],
                             letter_id=letter.pk, delivered_on=delivered)
        return letter

    # --- the provider register --------------------------------------------------------------------------------

    def register(self):
        """The administrator loads the register from the CQC care directory export, before any of the history."""
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(["CQC Location ID", "Name", "Address", "Postcode", "Service types", "Registered manager"])
        writer.writerows(PROVIDERS)
        report = provider_importer.parse(out.getvalue().encode())
        self.at(self.clock.ago(400), provider_services.import_providers, user=self.u["admin"], report=report,
                file_name="cqc-care-directory-northfield.csv")
        self.providers = {p.cqc_location_id: p for p in Provider.objects.all()}

    # --- concerns (docs/process.md sections 1 and 2) --------------------------------------------------------

    def concerns(self):
        c, officer, cqm, sg = self.clock, self.u["officer"], self.u["cqm"], self.u["safeguarding"]
        # JQMMs are monthly in the Town Hall; the chair schedules each about four weeks ahead.
        self.jqmm_summer = self.at(c.ago(140), concern_services.schedule_jqmm, user=cqm, meeting_date=c.ago(112),
                                   location="Town Hall, Committee Room 2", chair=cqm)
        self.jqmm_last = self.at(c.ago(42), concern_services.schedule_jqmm, user=cqm, meeting_date=c.ago(14),
                                 location="Town Hall, Committee Room 2", chair=cqm)
        upcoming = self.at(c.ago(20), concern_services.schedule_jqmm, user=cqm, meeting_date=c.ahead(10),
                           location="Town Hall, Committee Room 2", chair=cqm)

        # Waiting for safeguarding advice (restricted).
        self.concern("1-101000002", c.ago(1), c.ago(1), "safeguarding", "Night nurse (anonymous call to the CQT)",
                     "A resident was found with unexplained bruising to both forearms at the morning handover. The "
                     "caller named a member of the night staff and says she has seen him handle residents roughly "
                     "before.", people=1, refs=["CM10442"], flags=(True, True, False),
                     files=[_pdf("body-map.pdf")])
        # Waiting for routing.
        self.concern("1-101000003", c.ago(3), c.ago(3), "contracts", "Contracts and Quality Team",
                     "The monthly contract return is late for the second month running. The staffing rota sent "
                     "with the last return shows no senior carer on six weekend shifts.")
        # On the next JQMM's agenda, assessed.
        brookside = self.concern(
            "1-101000004", c.ago(6), c.ago(5), "complaints", "Three families (complaints team reference CX-2291)",
            "Three families report missed and late calls over two weeks: a morning call arrived after 11am on "
            "four days, and one teatime call was missed entirely.", people=3,
            refs=["CM20011", "CM20012", "CM20013"])
        self.at(c.ago(5), concern_services.route_to_jqmm, user=officer, concern_id=brookside.pk,
                meeting_id=upcoming.pk)
        self.assess(brookside, c.ago(4), 1, 2, "The agency replied within a day and has moved two carers onto the "
                                               "affected round; no harm reported.")
        # Discussed at the last JQMM: no further action.
        door = self.concern("1-101000007", c.ago(31), c.ago(30), "internal", "Olivia Officer (CQT visit)",
                            "A fire door on the first-floor corridor was wedged open with a chair during a "
                            "routine visit.")
        self.at(c.ago(29), concern_services.route_to_jqmm, user=officer, concern_id=door.pk,
                meeting_id=self.jqmm_last.pk)
        self.at(c.ago(14), concern_services.record_jqmm_outcome, user=cqm, concern_id=door.pk,
                further_action=False, notes="A hold-open device linked to the fire alarm was fitted the same week "
                                            "and the fire risk assessment updated. No further action.")
        # Willow Court: from the JQMM in the summer to a PPM case (see ladder_cases), with its risk over time.
        self.willow = self.concern(
            "1-101000008", c.ago(126), c.ago(125), "contracts", "Contracts and Quality Team",
            "CQC's latest inspection rated the home Requires Improvement overall and Inadequate for safe: "
            "night staffing below the planned level and safeguarding training out of date for half of the staff.")
        self.at(c.ago(124), concern_services.route_to_jqmm, user=officer, concern_id=self.willow.pk,
                meeting_id=self.jqmm_summer.pk)
        self.assess(self.willow, c.ago(120), 1, 2, "The provider has sent its CQC action plan but no dates.")
        self.at(c.ago(112), concern_services.record_jqmm_outcome, user=cqm, concern_id=self.willow.pk,
                further_action=True, notes="Arrange a QA meeting with the registered manager to go through the CQC "
                                           "action plan and the night rota.")
        # Oakwood Lodge: restricted, advice recorded, straight to further action, same-day monitoring.
        self.oakwood = self.concern(
            "1-101000001", c.ago(40), c.ago(40), "safeguarding", "Ward sister, Northfield General Hospital",
            "A resident was admitted to hospital after being given another resident's medicines. The home's own "
            "records show eleven medication administration errors across both units in the past month.",
            people=4, refs=["CM30001", "CM30002"], flags=(True, False, True), by=cqm)
        self.at(c.ago(40), concern_services.record_safeguarding_advice, user=sg, concern_id=self.oakwood.pk,
                adviser="Sam Safeguard, Safeguarding Adults Team", advised_on=c.ago(40),
                advice="Raise a section 42 enquiry for the resident admitted to hospital. Visit today and check "
                       "the medication administration records on both units.")
        self.at(c.ago(40), concern_services.route_to_further_action, user=cqm, concern_id=self.oakwood.pk,
                reason="Residents are at risk of harm now; this cannot wait for the JQMM.")
        self.at(c.ago(40), concern_services.share_concern, user=sg, concern_id=self.oakwood.pk, colleague=officer)
        self.at(c.ago(40), concern_services.start_same_day_monitoring, user=officer, concern_id=self.oakwood.pk,
                monitoring_date=c.ago(40), carried_out_by="Olivia Officer with the ICB medicines pharmacist",
                note="Medication administration records checked on both units; three more gaps found on the "
                     "nursing unit. The deputy manager has stopped agency staff giving medicines until they are "
                     "assessed as competent.")
        self.assess(self.oakwood, c.ago(38), 2, 2, "The home is cooperating but the errors are on both units.",
                    by=cqm)
        self.assess(self.oakwood, c.ago(9), 3, 3, "Two more errors since the visit, one needing a GP call-out; the "
                                                  "manager has not sent the promised audit.", by=cqm)

    # --- the escalation ladder (docs/process.md section 3) -------------------------------------------------

    def open_case(self, loc, day, level, rationale="", concerns=(), joint=False, by=None):
        return self.at(day, case_services.open_case, user=by or self.u["cqm"], provider_id=self.providers[loc].pk,
                       level=level, concern_ids=[x.pk for x in concerns], rationale=rationale,
                       jointly_commissioned=joint)

    def ladder_cases(self):
        c, cqm = self.clock, self.u["cqm"]
        CAP, DAP = "cap", "dap"

        # QA meeting held, issues not yet resolved (Harbour House).
        harbour = self.open_case(
            "1-101000009", c.ago(12), "qa",
            "Five complaints from families in six weeks about call bells not answered at night and residents left "
            "in wet bedding. None met the safeguarding threshold on its own, but together they point to too few "
            "staff at night.")
        self.letter(harbour, "qa_invitation", c.ago(11), meeting_date=c.ago(4),
                    free_text="We would like to discuss five recent complaints about night-time care, your night "
                              "staffing rota and how call bell response times are monitored.")
        self.meeting(harbour, c.ago(4), "not_resolved",
                     "Not resolved yet: the provider will send a revised night rota and two weeks of call bell "
                     "response data; the CQT will visit unannounced before deciding.",
                     "The manager accepted that two carers on nights is not enough for 38 residents and is "
                     "recruiting a third. Call bell logs are kept but nobody reviews them.")

        # Willow Court: from the JQMM to a QA meeting, escalated to PPM, with a CAP whose timescales were reviewed.
        willow = self.open_case("1-101000008", c.ago(105), "qa", concerns=[self.willow])
        self.meeting(willow, c.ago(98), "not_resolved",
                     "Not resolved: the CQC action plan has no dates and the night rota is still short.",
                     "Went through the CQC report section by section. The provider could not say when the "
                     "safeguarding training would be complete or how it would cover nights without agency nurses.")
        self.assess(self.willow, c.ago(96), 2, 2, "No dates yet for training or recruitment.")
        self.at(c.ago(95), case_services.escalate_to_ppm, user=cqm, case_id=willow.pk,
                reason="The QA meeting found the issues not resolved: no dates for training or night recruitment.")
        self.letter(willow, "ppm_invitation", c.ago(95), meeting_date=c.ago(84),
                    free_text="At the meeting we will agree a Corrective Action Plan covering night nurse staffing "
                              "and safeguarding training.")
        self.meeting(willow, c.ago(84), "extend",
                     "Corrective Action Plan agreed; first review in four weeks.",
                     "Actions agreed with owners and dates. The provider has two nurse vacancies advertised.")
        cap, (nurses, training, visit) = self.plan(willow, c.ago(84), CAP, c.ago(56), [
            ("Staffing", "Recruit two permanent night nurses and stop using agency nurses for more than two "
                         "night shifts a week", "provider", c.ago(28)),
            ("Training", "Every member of staff to complete safeguarding adults level 2 training", "provider",
             c.ago(3)),
            ("Monitoring", "Unannounced CQT visit at night to check staffing against the rota", "council",
             c.ago(63)),
        ])
        self.done(visit, c.ago(63), "Visited at 2am: two nurses and four carers on shift, as rostered.")
        self.progress(training, c.ago(60), "Day staff booked on the course; night staff dates still to be set.")
        self.meeting(willow, c.ago(56), "extend",
                     "More time agreed: recruitment is under way and the visit showed safe staffing on the night.",
                     "Two nurses offered posts, subject to checks. Training at 60%.")
        self.assess(self.willow, c.ago(56), 2, 3, "Agency nurses still cover most nights.")
        self.review(cap, c.ago(56), "review_timescales",
                    "Recruitment under way: two nurses offered posts. Allow time for their checks.",
                    new_review_date=c.ahead(14))
        self.redate(nurses, c.ago(56), c.today, "Both nurses' start dates depend on their DBS checks and NMC PIN "
                                                "verification; new date agreed at the PPM review.")
        self.progress(nurses, c.ago(20), "One nurse started this month; the second is waiting for her DBS check.")
        self.assess(self.willow, c.ago(10), 1, 3, "Provider now sends the rota weekly without being asked.")

        # Oakwood Lodge: straight to JIMP (the risk assessment recommends it), jointly commissioned.
        oakwood = self.open_case("1-101000001", c.ago(8), "jimp", concerns=[self.oakwood], joint=True,
                                 rationale="Serious safeguarding concerns: medication errors led to a hospital "
                                           "admission, and the errors continued after our visit.")
        self.meeting(oakwood, c.ago(6), "extend", "Multi-agency DAP agreed; the ICB pharmacist will audit weekly.",
                     "The manager accepted the findings. Agency staff will not give medicines until assessed.")
        self.plan(oakwood, c.ago(6), DAP, c.ahead(21), [
            ("Medication", "Weekly medicines audit on both units by the ICB medicines optimisation pharmacist",
             "partner", c.ahead(1)),
            ("Medication", "Competency reassessment for every member of staff who gives medicines", "provider",
             c.ahead(7)),
            ("Leadership", "Appoint a deputy manager with clinical oversight of medicines", "provider",
             c.ahead(24)),
        ])

        # Ashdown Care Village: PPM, then JIMP, then SOSG, each after a meeting found it not satisfactory.
        ashdown = self.open_case(
            "1-101000012", c.ago(70), "ppm",
            "Two CQC warning notices in a year and the owner is selling the business. Falls and pressure ulcers "
            "are both rising.")
        self.meeting(ashdown, c.ago(65), "extend", "CAP agreed: independent governance review first.",
                     "The owner attended and agreed to commission a governance review.")
        cap, (governance,) = self.plan(ashdown, c.ago(65), CAP, c.ago(42), [
            ("Governance", "Commission an independent governance review and share its findings with the council",
             "provider", c.ago(45))])
        self.done(governance, c.ago(45), "Review received: weak board oversight, no falls analysis, no audit "
                                         "programme.")
        self.meeting(ashdown, c.ago(42), "not_satisfactory",
                     "Not satisfactory: the review confirms the weaknesses and falls have risen again.",
                     "Falls up from 9 to 14 in the month. The provider has no plan to act on the review yet.")
        self.review(cap, c.ago(42), "escalate", "The governance review confirmed serious weaknesses; falls have "
                                                "risen again.")
        self.at(c.ago(41), case_services.escalate_to_jimp, user=cqm, case_id=ashdown.pk,
                reason="The PPM found the improvement not satisfactory: falls rising, governance weak.")
        self.meeting(ashdown, c.ago(35), "extend", "CAP at JIMP agreed with the ICB and Safeguarding.",
                     "Weekly check-in calls agreed with the ICB quality lead.")
        cap, (checkin,) = self.plan(ashdown, c.ago(35), CAP, c.ago(14), [
            ("Governance", "Weekly multi-agency check-in call with the manager and the owner", "council",
             c.ago(14))])
        self.done(checkin, c.ago(14), "Three calls held; the owner missed two.")
        self.meeting(ashdown, c.ago(14), "not_satisfactory",
                     "Not satisfactory: staffing fell below safe levels on three nights.",
                     "Agency cover was not confirmed in time on three nights; residents were put to bed early.")
        self.review(cap, c.ago(14), "escalate", "Staffing fell below safe levels on three nights and agency cover "
                                                "was not confirmed.")
        self.at(c.ago(13), case_services.escalate_to_sosg, user=cqm, case_id=ashdown.pk,
                reason="The JIMP found the improvement not satisfactory: unsafe staffing at night.")
        self.meeting(ashdown, c.ago(10), "extend", "SOSG oversight plan agreed.",
                     "CQC attended. The owner agreed to fund agency cover in advance for every vacant shift.")
        self.plan(ashdown, c.ago(10), CAP, c.ahead(18), [
            ("Staffing", "Book agency cover for every vacant shift at least 48 hours ahead", "provider", c.ahead(3)),
            ("Staffing", "Send a daily staffing return to the CQT", "provider", c.ahead(10)),
        ])

        # Hillcrest Supported Living: PPM, improvement satisfactory, closed.
        hillcrest = self.open_case(
            "1-101000005", c.ago(150), "ppm",
            "Three missed medication visits in a month, and the council was not told that a support worker had "
            "been suspended.")
        self.meeting(hillcrest, c.ago(145), "extend", "Developmental Action Plan agreed.",
                     "The provider is introducing electronic call monitoring.")
        dap, (monitoring, notify) = self.plan(hillcrest, c.ago(145), DAP, c.ago(100), [
            ("Medication", "Introduce electronic call monitoring with alerts for late medication visits",
             "provider", c.ago(115)),
            ("Notifications", "Tell the council of any staff suspension within 24 hours", "provider", c.ago(120))])
        self.done(notify, c.ago(120), "Procedure updated and sent to the CQT; one notification since, on time.")
        self.done(monitoring, c.ago(115), "System live; no missed medication visits for six weeks.")
        self.meeting(hillcrest, c.ago(100), "satisfactory", "Improvement satisfactory: close the case.",
                     "No missed medication visits since the system went live.")
        self.review(dap, c.ago(100), "satisfactory", "Every action complete and sustained for six weeks.")
        self.at(c.ago(99), case_services.close_case, user=cqm, case_id=hillcrest.pk,
                reason="Improvement satisfactory and sustained; back to normal contract monitoring.")

        # Sunnyside: resolved at the QA meeting and closed, then reopened when the problem came back.
        sunnyside = self.open_case(
            "1-101000007", c.ago(90), "qa",
            "District nurse reports that two residents' prescribed creams were not applied for several days.")
        self.meeting(sunnyside, c.ago(82), "resolved",
                     "Resolved: topical medicines charts introduced and checked at the meeting.",
                     "Charts seen for every resident with a prescribed cream; completed correctly.")
        self.at(c.ago(81), case_services.close_case, user=cqm, case_id=sunnyside.pk,
                reason="Issues resolved at the QA meeting.")
        reopened = self.at(c.ago(7), case_services.reopen_case, user=cqm, case_id=sunnyside.pk, level="qa",
                           reason="Two more missed creams reported by the district nurse; the charts introduced "
                                  "after the QA meeting are no longer being completed.")
        self.letter(reopened, "qa_invitation", c.ago(6), issue=False, meeting_date=c.ahead(3),
                    free_text="We would like to discuss the topical medicines charts and two recent missed "
                              "applications reported by the district nurse.")

        # Beech Tree House: SOSG, the provider cannot continue, the Provider Failure Policy.
        beech = self.open_case(
            "1-101000011", c.ago(30), "sosg",
            "The owner has given notice that the home will close, and its lender has appointed administrators.")
        self.meeting(beech, c.ago(28), "extend", "Transfer plan agreed for each resident.",
                     "The administrators will keep the home open for four weeks while residents move.")
        cap, (transfer,) = self.plan(beech, c.ago(28), CAP, c.ago(16), [
            ("Continuity", "Agree a transfer plan with each resident and their family", "council", c.ago(18))])
        self.done(transfer, c.ago(18), "Plans agreed for all 22 residents.")
        self.meeting(beech, c.ago(16), "not_satisfactory",
                     "Not satisfactory: staff are leaving faster than residents can move.",
                     "The administrators cannot staff the home safely beyond this week.")
        self.review(cap, c.ago(16), "escalate", "Staff are leaving faster than residents can move; the home "
                                                "cannot be staffed safely.")
        self.at(c.ago(15), case_services.refer_provider_failure, user=cqm, case_id=beech.pk,
                reason="The provider cannot continue to operate; the Provider Failure Policy applies.")

    # --- the suspension routes (docs/process.md section 4) ---------------------------------------------------

    def sprg(self, service, case, day, notes, **kw):
        return self.at(day, service, user=self.u["sprg"], case_id=case.pk, meeting_date=day,
                       members_present=SPRG_MEMBERS, notes=notes, **kw)

    def route_case(self, loc, target, started, joint, rationale, letter_text, areas):
        c, cqm, officer = self.clock, self.u["cqm2"], self.u["officer"]
        name = self.providers[loc].name

        def day(offset):  # `offset` calendar days after the SPRG agreed 'at risk'
            return c.ago(started - offset)

        case = self.open_case(loc, day(-4), "sosg", rationale, joint=joint, by=cqm)
        self.meeting(case, day(-2), "not_satisfactory",
                     "Not satisfactory: refer to the SPRG to consider suspending placements.",
                     f"The SOSG went through the concerns with {name}. The provider accepted most of the findings but "
                     "could not show a credible plan to put them right quickly.")
        self.sprg(route_services.agree_at_risk, case, day(0),
                  f"{name} is at risk of suspension: the concerns are serious and the provider has not yet shown it "
                  "can put them right. Improvement plan to be agreed with the CQT.")
        self.letter(case, "at_risk", day(1), letter_text, delivered=day(2))
        if target == "at_risk":
            return
        case = EscalationCase.objects.get(pk=case.pk)
        plan = self.at(day(5), route_services.create_improvement_plan, user=officer, case_id=case.pk,
                       start_date=day(5), review_date=case.route_deadline)
        actions = [self.at(day(5), case_services.add_action, user=officer, plan_id=plan.pk, area_of_concern=area,
                           action=ACTIONS[area], owner="provider", due_date=day(due))
                   for area, due in zip(areas, (19, 24, 26), strict=True)]
        self.at(day(12), route_services.record_visit, user=officer, case_id=case.pk, visit_date=day(12),
                visited_by="Olivia Officer and Oscar Owusu",
                findings=f"Unannounced visit. Some early progress on {areas[0].lower()}; little yet on "
                         f"{areas[1].lower()} or {areas[2].lower()}.")
        self.done(actions[0], day(19), f"{areas[0]}: evidence seen at the visit and in the weekly return.")
        if target == "oversight":
            self.done(actions[1], day(24), f"{areas[1]}: complete; checked by the CQT.")
            self.done(actions[2], day(26), f"{areas[2]}: complete; checked by the CQT.")
            self.sprg(route_services.record_full_compliance, case, day(28),
                      "Every action on the improvement plan is complete and the CQT has seen the evidence. Back to "
                      "routine monitoring with greater initial oversight for three months.",
                      oversight_until=day(28) + datetime.timedelta(days=91))
            self.letter(case, "lifting_at_risk", day(29),
                        "Thank you for the work your team has put into the improvement plan. The Contracts and "
                        "Quality Team will visit monthly during the period of greater oversight.")
            return
        self.progress(actions[1], day(22), f"{areas[1]}: started late; the provider says it needs another month.")
        self.sprg(route_services.record_non_compliance, case, day(28),
                  f"Only one of three actions is complete and {areas[1].lower()} has not improved. Recommend "
                  "suspension of placements (Route 2); the CQM to write the report for DMT.")
        self.redate(actions[1], day(29), day(50), "New timescale set with the recommendation to suspend.")
        self.redate(actions[2], day(29), day(57), "New timescale set with the recommendation to suspend.")
        self.at(day(29), route_services.write_report, user=cqm, case_id=case.pk,
                body=f"The SPRG recommends suspending new placements at {name}. The improvement plan agreed on Route 1 "
                     f"has not been complied with: {areas[1].lower()} and {areas[2].lower()} are not complete, and "
                     "our visit found the same risks as when the SPRG agreed 'at risk' status. Residents already "
                     "placed will have their placements reviewed by Care Management.")
        if target == "suspension_proposed":
            return
        version = EscalationCase.objects.get(pk=case.pk).current_report().version
        self.at(day(33), route_services.endorse_suspension_report, user=self.u["dmt"], case_id=case.pk,
                report_version=version, rationale="DMT agrees with the SPRG's recommendation.")
        self.at(day(34), route_services.sign_off_suspension, user=self.u["dass"], case_id=case.pk,
                capacity="dass", report_version=version)
        if target == "suspension_endorsed":
            return  # the ICB colleague has still to co-sign
        suspended_on = day(34)
        if joint:
            suspended_on = day(35)
            self.at(suspended_on, route_services.sign_off_suspension, user=self.u["icb"], case_id=case.pk,
                    capacity="icb", report_version=version)
        letter_day = c.after(suspended_on, 1)
        self.letter(case, "suspension", letter_day,
                    f"The Strategic Provider Risk Group found that the improvement plan agreed with you has not been "
                    f"complied with, in particular on {areas[1].lower()} and {areas[2].lower()}.")
        self.notifications(case, letter_day)
        self.at(day(43), route_services.record_visit, user=officer, case_id=case.pk, visit_date=day(43),
                visited_by="Oscar Owusu", findings=f"{areas[1]} improving; new timescales understood by the manager.")
        monthly = c.on_or_before(one_month_after(suspended_on))  # the SPRG's monthly review is due by then
        self.done(actions[1], day(50), f"{areas[1]}: complete; checked at the visit.")
        if target == "suspended":
            self.redate(actions[2], monthly, c.today, "The GP surgery delayed the reassessments; new date agreed at "
                                                       "the SPRG's monthly review.")
        elif target != "provider_failure":
            self.done(actions[2], day(57), f"{areas[2]}: complete; checked at the visit.")
        outstanding = PlanAction.objects.filter(pk=actions[2].pk).exclude(status=PlanAction.Status.COMPLETE).exists()
        self.sprg(route_services.record_monthly_review, case, monthly,
                  f"Progress reviewed. {areas[1]} has improved; {areas[2].lower()} "
                  + ("is still outstanding. " if outstanding else "is complete. ") + "The suspension stays in force.")
        if target == "suspended":
            return
        second = c.on_or_before(one_month_after(monthly))
        if target == "provider_failure":
            self.sprg(route_services.record_provider_failure, case, second,
                      f"{name} has not complied and has told us it cannot recruit the staff it needs. Refer to the "
                      "Provider Failure Policy; Care Management to plan alternative care for every person.")
            return
        self.sprg(route_services.record_sufficient_progress, case, second,
                  "Sustained progress in every area of the plan. Recommend lifting the suspension with conditions; "
                  "the CQM to write the lifting report.")
        report_day = c.after(second, 1)
        self.at(report_day, route_services.write_report, user=cqm, case_id=case.pk,
                body=f"{name} has completed every action on the improvement plan and the CQT's visits have found "
                     "the improvement sustained. I recommend lifting the suspension, with a weekly staffing return "
                     "for three months and greater initial oversight.",
                conditional=True, oversight_until=report_day + datetime.timedelta(days=120),
                conditions=[{"condition": "Weekly staffing return to the Contracts and Quality Team",
                             "review_date": report_day + datetime.timedelta(days=91)}])
        if target == "lifting_proposed":
            return
        version = EscalationCase.objects.get(pk=case.pk).current_report().version
        self.at(c.after(second, 3), route_services.endorse_lifting_report, user=self.u["dmt"], case_id=case.pk,
                report_version=version, rationale="DMT agrees the improvement is sustained.")
        if target == "lifting_endorsed":
            return
        lifted_on = c.after(second, 4)
        self.at(lifted_on, route_services.sign_off_lifting, user=self.u["dass"], case_id=case.pk, capacity="dass",
                report_version=version)
        self.letter(case, "lifting_suspension", c.after(lifted_on, 1),
                    "Thank you for your cooperation while the suspension was in place.")
        self.notifications(case, c.after(lifted_on, 1))

    def notifications(self, case, day):
        """Route 2 step 5: each body on the checklist told, by the officer, the day the letter went."""
        for item in RouteNotification.objects.filter(case=case, done_at__isnull=True).select_related("recipient"):
            self.at(day, route_services.mark_notification_done, user=self.u["officer"], notification_id=item.pk,
                    note=NOTIFICATION_NOTES.get(item.recipient.name, "Emailed with a copy of the letter."))


NOTIFICATION_NOTES = {
    "Basecamp (NW)": "Posted on Basecamp with a copy of the letter.",
    "CQC": "Emailed the local CQC inspector with a copy of the letter.",
    "Care Management": "Emailed the team managers; reviews of current placements requested.",
    "Internal Finance": "Emailed the placements finance team.",
    "Service users, relatives and advocates": "Letter to residents and families agreed with the manager and sent; "
                                              "advocates told by phone.",
}
ACTIONS = {
    "Staffing": "Staff every shift to the level set by the dependency tool, with no more than two agency staff on "
                "any shift",
    "Medication": "Report every medication error to the council and the GP within 24 hours, and audit the records "
                  "weekly",
    "Leadership": "Appoint an interim manager and tell the council who is in charge each day until they start",
    "Tissue viability": "Assess every resident's skin integrity and agree a repositioning plan with the district "
                        "nurses",
    "Care records": "Complete and check repositioning, food and fluid charts every shift; the nurse in charge to "
                    "sign them off",
    "Clinical leadership": "Appoint a clinical lead with protected time to supervise nurses",
    "Infection control": "Deep clean all bathrooms and sluice rooms and introduce a signed cleaning schedule",
    "Governance": "Monthly audits of infection control and care records, with the results sent to the CQT",
    "Staff training": "Every member of staff to complete infection prevention and control training",
    "Falls prevention": "Falls risk assessment for every resident and a falls review after every fall",
    "Dependency assessment": "Reassess every resident's dependency with the GP and set the nurse staffing to match",
    "Nutrition and hydration": "Weigh residents at risk weekly and refer any weight loss to the dietitian",
    "Complaints handling": "Reply to every complaint within 20 working days and share learning at staff meetings",
    "Mental Capacity Act": "Make a Deprivation of Liberty Safeguards application for every resident who needs one",
    "Night practice": "Stop locking bedroom doors at night and put sensor mats in place where needed",
    "Medicines management": "Store controlled drugs in a locked cabinet and keep the register up to date",
    "Staff competency": "Reassess the competency of every member of staff who gives medicines",
    "Audit": "Weekly medicines audit, with the results sent to the ICB pharmacist",
    "Care planning": "Review every care plan with the resident or their family",
    "End of life care": "Record each resident's end-of-life wishes and share them with the GP",
    "Call reliability": "No missed calls, and time-critical calls within 30 minutes of the planned time",
    "Workforce": "Recruit enough carers to cover every round without double shifts",
    "Medication calls": "Give priority to time-critical medication calls on every rota",
}


class Command(BaseCommand):
    help = "Load demo users, providers and concerns (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, metavar="N",
                            help="also add synthetic volume for measuring: N=100 is a large council's design volume "
                                 "(2,000 providers, 250,000 concerns, 500 open cases, 50,000 open deadlines, a "
                                 "million audit events); see tools/scale.py")

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
        if options.get("scale"):
            from tools import scale

            self.stdout.write(f"Adding synthetic volume, scale {options['scale']}:")
            users = {u.username: u for u in User.objects.filter(username__in=["officer", "officer2", "cqm", "cqm2",
                                                                               "safeguarding", "sprg", "admin"])}
            counts = scale.build(options["scale"], users, out=self.stdout.write)
            self.stdout.write(", ".join(f"{v:,} {k}" for k, v in counts.items()))
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
        out.write(portal_demo.credentials())
        self.stdout.write(out.getvalue())

    def _seed(self, User):
        clock = Clock()
        users = {}
        with clock.on(clock.ago(400)):  # the accounts were there before any of the history
            for username, first, last, role_names in DEMO_USERS:
                user = User.objects.create_user(
                    username=username, first_name=first, last_name=last, email=f"{username}@example.gov.uk",
                    password=DEMO_PASSWORD, is_staff=username == "admin", is_superuser=username == "admin",
                )
                user.groups.set(Group.objects.filter(name__in=role_names))
                users[username] = User.objects.get(pk=user.pk)
        DemoHistory(users, clock).build()
        placements_demo.build(users)
        intelligence_demo.build(users)
        portal_demo.build(users)
        replies_demo.build(users)  # after the portal's: it needs the demo provider contact
        self._meeting_pack(users["sprg"])

    @staticmethod
    def _meeting_pack(member):
        """A ready SPRG pack for next week's meeting, built by the same service a person uses."""
        import datetime

        from django.utils import timezone

        from oversight import services as oversight_services

        job, _ = oversight_services.request_pack(user=member, kind="sprg",
                                                 meeting_date=timezone.localdate() + datetime.timedelta(days=7))
        oversight_services.build_pack(job_id=job.pk)
