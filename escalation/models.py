"""The escalation ladder (docs/process.md section 3) as a case with a guarded state machine."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from core.dates import long_date
from core.links import link
from core.models import CheckedUpload
from core.rules import transition_permission
from providers.models import Provider

from . import permissions as perms

# The state machine asks the same rules as the services, in django-fsm's permission(instance, user) order.
CQM_MOVES = transition_permission(perms.can_move_case)
SPRG_DECIDES = transition_permission(perms.can_record_sprg_decision)
DMT_DECIDES = transition_permission(perms.can_record_dmt_decision)
SIGNATORIES_SIGN = transition_permission(perms.can_sign_off)


class Level(models.TextChoices):
    QA = "qa", "Quality assurance meeting"
    PPM = "ppm", "Provider performance meeting (PPM)"
    JIMP = "jimp", "Joint inter-agency monitoring panel (JIMP)"
    SOSG = "sosg", "Service operations support group (SOSG)"
    CLOSED = "closed", "Closed: back to normal contract monitoring"
    PROVIDER_FAILURE = "provider_failure", "Provider failure"


LADDER = [Level.QA, Level.PPM, Level.JIMP, Level.SOSG]
PLAN_LEVELS = [Level.PPM, Level.JIMP, Level.SOSG]
STEP = {level: i + 1 for i, level in enumerate(LADDER)}


def _at_plan_level_has_plan(case) -> bool:
    return case.level not in PLAN_LEVELS or case.current_plan() is not None


def has_plan_if_needed(case) -> bool:
    """From PPM upwards a DAP/CAP must exist before the case moves up (docs/process.md section 3)."""
    return _at_plan_level_has_plan(case)


class MeetingOutcome(models.TextChoices):
    """What a meeting on the ladder decided (docs/process.md section 3, "ways out"). Blank: not recorded (meetings
    recorded before outcomes were structured keep their old text in the outcome notes)."""

    RESOLVED = "resolved", "Issues resolved"
    NOT_RESOLVED = "not_resolved", "Issues not resolved"
    SATISFACTORY = "satisfactory", "Improvement satisfactory"
    EXTEND = "extend", "Extend the timescales"
    NOT_SATISFACTORY = "not_satisfactory", "Improvement not satisfactory"


# The outcomes each level's meeting can reach, in the order the meeting form offers them.
OUTCOMES = {
    Level.QA: [MeetingOutcome.RESOLVED, MeetingOutcome.NOT_RESOLVED],
    Level.PPM: [MeetingOutcome.SATISFACTORY, MeetingOutcome.EXTEND, MeetingOutcome.NOT_SATISFACTORY],
    Level.JIMP: [MeetingOutcome.SATISFACTORY, MeetingOutcome.EXTEND, MeetingOutcome.NOT_SATISFACTORY],
    Level.SOSG: [MeetingOutcome.SATISFACTORY, MeetingOutcome.EXTEND, MeetingOutcome.NOT_SATISFACTORY],
}
# What each outcome lets the CQM do next (the hint on the meeting form), per level.
OUTCOME_HINTS = {
    (Level.QA, MeetingOutcome.RESOLVED): "The case can be closed",
    (Level.QA, MeetingOutcome.NOT_RESOLVED): "The case can be escalated to PPM",
    (Level.PPM, MeetingOutcome.SATISFACTORY): "The case can be closed",
    (Level.PPM, MeetingOutcome.NOT_SATISFACTORY): "The case can be escalated to JIMP",
    (Level.JIMP, MeetingOutcome.SATISFACTORY): "The case can be closed or stepped down to PPM",
    (Level.JIMP, MeetingOutcome.NOT_SATISFACTORY): "The case can be escalated to SOSG",
    (Level.SOSG, MeetingOutcome.SATISFACTORY): "The case can be stepped down to JIMP or PPM, or closed",
    (Level.SOSG, MeetingOutcome.NOT_SATISFACTORY): "The SPRG can consider suspending placements, or the case can "
                                                   "be referred under the Provider Failure Policy",
}
EXTEND_HINT = "The case stays at this level: for example, the DAP/CAP was just agreed or needs more time"
# "The last PPM on 3 November 2026 agreed to extend the timescales": the meeting's name and what it decided.
MEETING_NAME = {Level.QA: "QA meeting", Level.PPM: "PPM", Level.JIMP: "JIMP meeting", Level.SOSG: "SOSG meeting"}
OUTCOME_PHRASE = {
    MeetingOutcome.RESOLVED: "found the issues resolved",
    MeetingOutcome.NOT_RESOLVED: "found the issues not resolved",
    MeetingOutcome.SATISFACTORY: "found the improvement satisfactory",
    MeetingOutcome.EXTEND: "agreed to extend the timescales",
    MeetingOutcome.NOT_SATISFACTORY: "found the improvement not satisfactory",
}
GOOD_OUTCOMES = {MeetingOutcome.RESOLVED, MeetingOutcome.SATISFACTORY}
BAD_OUTCOMES = {MeetingOutcome.NOT_RESOLVED, MeetingOutcome.NOT_SATISFACTORY}


def latest_meeting_here(case):
    """The latest meeting held at the case's current level since the case reached that level (or None).

    A page asks this once for every guard of every move; `remember_for_page` lets it be read once."""
    if case.level not in LADDER:
        return None
    remembered = getattr(case, "_latest_meeting_here", None)
    if remembered is not None and remembered[0] == (case.level, case.level_since):
        if remembered[1] is _UNREAD:
            case._latest_meeting_here = (remembered[0], _read_latest_meeting_here(case))
            return case._latest_meeting_here[1]
        return remembered[1]
    return _read_latest_meeting_here(case)


def _read_latest_meeting_here(case):
    return case.meetings.filter(level=case.level, recorded_at__gte=case.level_since).order_by(
        "-meeting_date", "-id").first()


_UNREAD = object()  # remembered for the page, but read only when a guard first asks


def remember_for_page(case, *, plans=None, reports=None, meetings=None):
    """For a page drawing one state of the case: the case's plans (newest first, with their reviews prefetched),
    reports (with their sign-offs) and meetings, as the page reads them, answer the guards' questions too. A list
    the page does not draw is read the first time a guard asks for it, once (so a page whose reader may take no
    step reads none of them). A move changes the level, route or its date, and then everything is read again."""
    if plans is not None:
        plans = sorted(plans, key=lambda p: (p.created_at, p.pk), reverse=True)
    if meetings is None:
        here = _UNREAD
    else:
        here = max((m for m in meetings if case.level in LADDER and m.level == case.level
                    and m.recorded_at >= case.level_since), key=lambda m: (m.meeting_date, m.pk), default=None)
    case._latest_meeting_here = ((case.level, case.level_since), here)
    case._for_page = {"state": (case.level, case.route, case.level_since),
                      "plans": _UNREAD if plans is None else plans,
                      "reports": _UNREAD if reports is None else list(reports)}


def remember_reports(case, reports):
    """For a list of cases: each case's current reports (sign-offs prefetched) answer current_report(); plans are
    still read from the database if asked."""
    case._for_page = {"state": (case.level, case.route, case.level_since), "plans": None, "reports": list(reports)}


def _latest_outcome(case) -> str:
    meeting = latest_meeting_here(case)
    return meeting.outcome if meeting else ""


def _skips_to(case, target) -> bool:
    """Escalating past a step: allowed with a recorded rationale, which the service asks for instead of a meeting."""
    return case.level in STEP and STEP[target] - STEP[case.level] > 1


def meeting_found_resolved(case) -> bool:
    """The last meeting at this level found the issues resolved or the improvement satisfactory."""
    return _latest_outcome(case) in GOOD_OUTCOMES


def qa_meeting_not_resolved(case) -> bool:
    """The last QA meeting found the issues not resolved."""
    return _latest_outcome(case) == MeetingOutcome.NOT_RESOLVED


def ppm_not_satisfactory_or_skip(case) -> bool:
    """The last PPM found the improvement not satisfactory, or a step is skipped with a rationale."""
    return _skips_to(case, Level.JIMP) or _latest_outcome(case) == MeetingOutcome.NOT_SATISFACTORY


def jimp_not_satisfactory_or_skip(case) -> bool:
    """The last JIMP meeting found the improvement not satisfactory, or a step is skipped with a rationale."""
    return _skips_to(case, Level.SOSG) or _latest_outcome(case) == MeetingOutcome.NOT_SATISFACTORY


def sosg_not_satisfactory(case) -> bool:
    """The last SOSG meeting or the latest performance review found the improvement not satisfactory."""
    if _latest_outcome(case) == MeetingOutcome.NOT_SATISFACTORY:
        return True
    review = case.latest_review()
    return review is not None and review.verdict == PerformanceReview.Verdict.ESCALATE


class Route(models.TextChoices):
    """Suspension of placements (docs/process.md section 4): amber, red and green routes, alongside the ladder level."""

    NONE = "none", "No suspension route"
    AT_RISK = "at_risk", "Route 1 (amber): at risk of suspension"
    SUSPENSION_PROPOSED = "suspension_proposed", "Route 2 (red): suspension report awaiting DMT"
    SUSPENSION_ENDORSED = "suspension_endorsed", "Route 2 (red): endorsed by DMT, awaiting sign-off"
    SUSPENDED = "suspended", "Placements suspended"
    LIFTING_PROPOSED = "lifting_proposed", "Green: lifting report awaiting DMT"
    LIFTING_ENDORSED = "lifting_endorsed", "Green: lifting endorsed by DMT, awaiting sign-off"
    OVERSIGHT = "oversight", "Routine monitoring with greater initial oversight"
    PROVIDER_FAILURE = "provider_failure", "Provider Failure Policy"


ROUTE_IDLE = [Route.NONE, Route.OVERSIGHT]
ROUTE_SUMMARY = {
    Route.NONE: "", Route.AT_RISK: "Route 1: at risk of suspension",
    Route.SUSPENSION_PROPOSED: "Route 2: suspension report awaiting DMT",
    Route.SUSPENSION_ENDORSED: "Route 2: suspension awaiting sign-off",
    Route.SUSPENDED: "Route 2: placements suspended",
    Route.LIFTING_PROPOSED: "Green: lifting report awaiting DMT",
    Route.LIFTING_ENDORSED: "Green: lifting awaiting sign-off",
    Route.OVERSIGHT: "Greater initial oversight", Route.PROVIDER_FAILURE: "Provider Failure Policy",
}

# The one rule for an open case: on the ladder, and not ended by the Provider Failure Policy through the suspension
# route. EscalationCase.objects.open() / .closed() and case.is_open are this rule, and so is the database's
# one-open-case-per-provider constraint; nothing else may restate it.
OPEN_CASE = models.Q(level__in=LADDER) & ~models.Q(route=Route.PROVIDER_FAILURE)


class CaseQuerySet(models.QuerySet):
    def open(self):
        """Cases still being worked: the rule in OPEN_CASE."""
        return self.filter(OPEN_CASE)

    def closed(self):
        """Closed, ended under the Provider Failure Policy, or ended through the suspension route."""
        return self.exclude(OPEN_CASE)


def case_is_open(case) -> bool:
    """Suspension routes run on an open escalation case."""
    return case.is_open


def case_not_ended(case) -> bool:
    """A case ended under the Provider Failure Policy (suspension route) moves no further."""
    return case.route != Route.PROVIDER_FAILURE


def route_idle(case) -> bool:
    """The ladder can close or fail only while no suspension route is running."""
    return case.route in ROUTE_IDLE


def has_suspension_report(case) -> bool:
    """The CQM's internal report must exist before DMT considers it."""
    return case.reports.filter(kind=DecisionReport.Kind.SUSPENSION, superseded=False).exists()


def has_lifting_report(case) -> bool:
    """The CQM's lifting report must exist before DMT considers it."""
    return case.reports.filter(kind=DecisionReport.Kind.LIFTING, superseded=False).exists()


def sign_offs_complete(case) -> bool:
    """The DASS has signed the endorsed report, and an ICB colleague too where jointly commissioned."""
    report = case.current_report()
    if report is None:
        return False
    return report.required_capacities() <= report.signed_capacities()


class EscalationCase(ConcurrentTransitionMixin, models.Model):
    """One provider's escalation from a QA meeting up to SOSG and back to normal monitoring."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="cases")
    level = FSMField(max_length=20, choices=Level.choices, default=Level.QA, protected=True)
    recommended_level = models.CharField(max_length=10, blank=True)
    opening_rationale = models.TextField(blank=True)
    jointly_commissioned = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.TextField(blank=True)
    route = FSMField(max_length=24, choices=Route.choices, default=Route.NONE, protected=True)
    route_deadline = models.DateField(null=True, blank=True, help_text="Route 1 compliance decision due")
    oversight_until = models.DateField(null=True, blank=True, help_text="Greater initial oversight ends")
    level_since = models.DateTimeField(default=timezone.now, help_text="When the case reached its current level")
    reopened_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="reopened_as")

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=OPEN_CASE,
                name="one_open_case_per_provider",
            )
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return link("escalation:detail", self.pk)

    @property
    def is_open(self) -> bool:
        """The OPEN_CASE rule for one case in memory (tests check the two agree for every level and route)."""
        return self.level in LADDER and self.route != Route.PROVIDER_FAILURE

    @property
    def ended_under_failure_policy(self) -> bool:
        """Ended under the Provider Failure Policy, from the ladder or the suspension route: final, never reopened."""
        return self.level == Level.PROVIDER_FAILURE or self.route == Route.PROVIDER_FAILURE

    @property
    def step(self) -> int | None:
        return STEP.get(self.level)

    @property
    def level_tag(self) -> str:
        return {
            Level.QA: "govuk-tag--yellow", Level.PPM: "govuk-tag--orange", Level.JIMP: "govuk-tag--red",
            Level.SOSG: "govuk-tag--purple", Level.CLOSED: "govuk-tag--grey", Level.PROVIDER_FAILURE: "govuk-tag--red",
        }[self.level]

    @property
    def next_decision_due(self):
        """When the next suspension-route decision is due, if one has a date: none once the case has ended, and
        none while a DMT-endorsed report waits for its signatures (the date kept is DMT's, already met)."""
        if not self.is_open or self.route in (Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED):
            return None
        return self.route_deadline

    @property
    def route_summary(self) -> str:
        """The suspension route in a few words, for lists beside the ladder level ("" when no route is running)."""
        return ROUTE_SUMMARY[self.route]

    @property
    def route_tag(self) -> str:
        return {
            Route.NONE: "govuk-tag--grey", Route.AT_RISK: "govuk-tag--orange",
            Route.SUSPENSION_PROPOSED: "govuk-tag--red", Route.SUSPENSION_ENDORSED: "govuk-tag--red",
            Route.SUSPENDED: "govuk-tag--red", Route.LIFTING_PROPOSED: "govuk-tag--green",
            Route.LIFTING_ENDORSED: "govuk-tag--green", Route.OVERSIGHT: "govuk-tag--blue",
            Route.PROVIDER_FAILURE: "govuk-tag--purple",
        }[self.route]

    # A page drawing one state of the case asks these many times (every guard of every button): remember_for_page
    # lets them answer from the lists the page reads anyway. Services never call it, so they always read afresh.
    def _page(self, name):
        remembered = getattr(self, "_for_page", None)
        if remembered and remembered["state"] == (self.level, self.route, self.level_since):
            if remembered[name] is _UNREAD:
                remembered[name] = (list(self.plans.prefetch_related("reviews")) if name == "plans" else
                                    list(self.reports.prefetch_related("sign_offs")))
                if name == "plans":
                    remembered[name].sort(key=lambda p: (p.created_at, p.pk), reverse=True)
            return remembered[name]
        return None

    def current_plan(self):
        """The DAP/CAP at the current ladder level (improvement plans of the routes do not count)."""
        plans = self._page("plans")
        if plans is not None:
            return next((p for p in plans if p.level == self.level and p.kind in ("dap", "cap")), None)
        return self.plans.filter(level=self.level, kind__in=["dap", "cap"]).order_by("-created_at").first()

    def improvement_plan(self):
        plans = self._page("plans")
        if plans is not None:
            return next((p for p in plans if p.kind == ActionPlan.Kind.IMPROVEMENT), None)
        return self.plans.filter(kind=ActionPlan.Kind.IMPROVEMENT).order_by("-created_at").first()

    def latest_review(self):
        plans = self._page("plans")
        if plans is not None:
            reviews = [r for p in plans if p.level == self.level and p.kind in ("dap", "cap") for r in p.reviews.all()]
            return max(reviews, key=lambda r: (r.review_date, r.pk), default=None)
        return PerformanceReview.objects.filter(plan__case=self, plan__level=self.level,
                                                plan__kind__in=["dap", "cap"]).order_by(
            "-review_date", "-id").first()

    # --- transitions: the state only; services check input, lock, audit and queue effects -------------

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.QA, target=Level.PPM, permission=CQM_MOVES,
                conditions=[case_not_ended, qa_meeting_not_resolved],
                custom={"label": "Escalate to PPM", "kind": "escalate"})
    def escalate_to_ppm(self, *, by=None, description=None):
        """QA meeting: issues not resolved (docs/process.md section 3, step 1 -> 2)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.QA, Level.PPM], target=Level.JIMP, permission=CQM_MOVES,
                conditions=[case_not_ended, has_plan_if_needed, ppm_not_satisfactory_or_skip],
                custom={"label": "Escalate to JIMP", "kind": "escalate"})
    def escalate_to_jimp(self, *, by=None, description=None):
        """PPM found the improvement not satisfactory, or straight from QA with a rationale (docs/process.md, 3)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.QA, Level.PPM, Level.JIMP], target=Level.SOSG,
                permission=CQM_MOVES, conditions=[case_not_ended, has_plan_if_needed, jimp_not_satisfactory_or_skip],
                custom={"label": "Escalate to SOSG", "kind": "escalate"})
    def escalate_to_sosg(self, *, by=None, description=None):
        """JIMP found the improvement not satisfactory, or a skip with a rationale (docs/process.md section 3)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.JIMP, Level.SOSG], target=Level.PPM, permission=CQM_MOVES,
                conditions=[case_not_ended, meeting_found_resolved],
                custom={"label": "Step down to PPM", "kind": "step_down"})
    def step_down_to_ppm(self, *, by=None, description=None):
        """Improvement satisfactory: less intensive oversight."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.SOSG, target=Level.JIMP, permission=CQM_MOVES,
                conditions=[case_not_ended, meeting_found_resolved],
                custom={"label": "Step down to JIMP", "kind": "step_down"})
    def step_down_to_jimp(self, *, by=None, description=None):
        """SOSG found the improvement satisfactory: back to the multi-agency panel."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=LADDER, target=Level.CLOSED, permission=CQM_MOVES,
                conditions=[case_not_ended, meeting_found_resolved, route_idle],
                custom={"label": "Close the case", "kind": "close"})
    def close(self, *, by=None, description=None):
        """Issues resolved / improvement satisfactory: back to normal contract monitoring."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.SOSG, target=Level.PROVIDER_FAILURE, permission=CQM_MOVES,
                conditions=[case_not_ended, sosg_not_satisfactory, route_idle],
                custom={"label": "Refer under the Provider Failure Policy", "kind": "failure"})
    def refer_provider_failure(self, *, by=None, description=None):
        """SOSG review not satisfactory and the provider cannot continue (docs/process.md: Provider Failure Policy)."""

    # --- suspension routes (docs/process.md section 4) ------------------------------------------------------------

    def current_report(self):
        """The report awaiting or holding decisions in the current route state."""
        kind = DecisionReport.Kind.LIFTING if self.route in (Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED) \
            else DecisionReport.Kind.SUSPENSION
        reports = self._page("reports")
        if reports is not None:
            return max((r for r in reports if r.kind == kind and not r.superseded), key=lambda r: r.version,
                       default=None)
        return self.reports.filter(kind=kind, superseded=False).order_by("-version").first()

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=ROUTE_IDLE, target=Route.AT_RISK, permission=SPRG_DECIDES,
                conditions=[case_is_open], custom={"label": "SPRG agrees 'at risk' status (Route 1)"})
    def agree_at_risk(self, *, by=None, description=None):
        """Route 1 step 1: the SPRG agrees 'at risk' status."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.AT_RISK, target=Route.OVERSIGHT, permission=SPRG_DECIDES,
                custom={"label": "SPRG: improvement plan fully complied with"})
    def route1_fully_complied(self, *, by=None, description=None):
        """Route 1 step 5: reverts to routine monitoring with greater initial oversight."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.AT_RISK, target=Route.AT_RISK, permission=SPRG_DECIDES,
                custom={"label": "SPRG: partly complied, extend the deadline"})
    def route1_extend(self, *, by=None, description=None):
        """Route 1 step 5: partial compliance, progress made, deadline extended."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.AT_RISK, target=Route.SUSPENSION_PROPOSED,
                permission=SPRG_DECIDES, custom={"label": "SPRG: not complied, go to Route 2"})
    def route1_not_complied(self, *, by=None, description=None):
        """Route 1 step 5: little or no progress; proceed to suspension (Route 2 - Red)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=ROUTE_IDLE, target=Route.SUSPENSION_PROPOSED,
                permission=SPRG_DECIDES, conditions=[case_is_open],
                custom={"label": "SPRG: urgent safety concerns, go straight to Route 2"})
    def urgent_route2(self, *, by=None, description=None):
        """Route 2 used without Route 1 where there are urgent safety concerns."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.SUSPENSION_PROPOSED, target=Route.SUSPENSION_ENDORSED,
                permission=DMT_DECIDES, conditions=[has_suspension_report],
                custom={"label": "DMT endorses the suspension report"})
    def dmt_endorse_suspension(self, *, by=None, description=None):
        """Route 2 step 1-3: DMT endorses; the DASS (and ICB where relevant) signs off next."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.SUSPENSION_PROPOSED, target=Route.AT_RISK,
                permission=DMT_DECIDES, conditions=[has_suspension_report],
                custom={"label": "DMT does not endorse: back to Route 1"})
    def dmt_decline_suspension(self, *, by=None, description=None):
        """Route 2 step 2: not endorsed; back to the start of Route 1 or an extension of its monitoring."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.SUSPENSION_ENDORSED, target=Route.SUSPENDED,
                permission=SIGNATORIES_SIGN, conditions=[sign_offs_complete],
                custom={"label": "Suspension signed off"})
    def suspend(self, *, by=None, description=None):
        """Route 2 step 3: the DASS (and GM ICB colleague where relevant) signed: the suspension is in force."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.SUSPENDED, target=Route.LIFTING_PROPOSED,
                permission=SPRG_DECIDES, custom={"label": "SPRG agrees sufficient progress (Green)"})
    def sufficient_progress(self, *, by=None, description=None):
        """Route 2 step 7: progress to the Green route; the CQM writes a lifting report."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.SUSPENDED, target=Route.PROVIDER_FAILURE,
                permission=SPRG_DECIDES, custom={"label": "SPRG: provider failed to comply"})
    def provider_failed(self, *, by=None, description=None):
        """Route 2 step 7: refer to the Provider Failure Policy; the case ends, the provider is flagged."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.LIFTING_PROPOSED, target=Route.LIFTING_ENDORSED,
                permission=DMT_DECIDES, conditions=[has_lifting_report],
                custom={"label": "DMT endorses lifting"})
    def dmt_endorse_lifting(self, *, by=None, description=None):
        """Green step 2: DMT endorses the lifting report."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.LIFTING_PROPOSED, target=Route.SUSPENDED,
                permission=DMT_DECIDES, conditions=[has_lifting_report],
                custom={"label": "DMT does not endorse lifting"})
    def dmt_decline_lifting(self, *, by=None, description=None):
        """Green step 2 refused: the suspension stays in force."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=route, source=Route.LIFTING_ENDORSED, target=Route.OVERSIGHT, permission=SIGNATORIES_SIGN,
                conditions=[sign_offs_complete], custom={"label": "Lifting signed off"})
    def lift(self, *, by=None, description=None):
        """Green steps 2-5: signed off; routine monitoring with greater initial oversight (and any conditions)."""


class DecisionReport(models.Model):
    """The CQM's internal report recommending suspension or (conditional) lifting. Versioned, never edited."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", "Recommendation to suspend placements"
        LIFTING = "lifting", "Recommendation to lift the suspension"

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    version = models.PositiveIntegerField()
    body = models.TextField()
    plan_snapshot = models.JSONField(default=list, help_text="The improvement plan as it stood")
    conditional = models.BooleanField(default=False)
    conditions = models.JSONField(default=list, blank=True, help_text='[{"condition": ..., "review_date": ...}]')
    open_areas_reason = models.TextField(blank=True)
    oversight_until = models.DateField(null=True, blank=True)
    superseded = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_at"]
        constraints = [models.UniqueConstraint(fields=["case", "kind", "version"], name="report_version_once")]

    def __str__(self):
        return f"{self.get_kind_display()}, version {self.version}"

    def required_capacities(self) -> set[str]:
        return {"dass", "icb"} if self.case.jointly_commissioned else {"dass"}

    def signed_capacities(self) -> set[str]:
        # From .all(), so a list that prefetched the sign-offs asks no query a report.
        return {s.capacity for s in self.sign_offs.all() if s.decision == SignOff.Decision.APPROVED}


class SignOff(models.Model):
    """One person's decision on one report version, in one capacity (DMT, DASS or ICB)."""

    class Capacity(models.TextChoices):
        DMT = "dmt", "DMT"
        DASS = "dass", "DASS"
        ICB = "icb", "ICB colleague"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Endorsed / signed"
        DECLINED = "declined", "Not endorsed"

    report = models.ForeignKey(DecisionReport, on_delete=models.PROTECT, related_name="sign_offs")
    report_version = models.PositiveIntegerField()
    capacity = models.CharField(max_length=4, choices=Capacity.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    rationale = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "capacity"], name="one_sign_off_per_capacity"),
            models.UniqueConstraint(fields=["report", "signed_by"], name="one_sign_off_per_person"),
        ]

    def __str__(self):
        return f"{self.get_capacity_display()} {self.get_decision_display()} by {self.signed_by}"


class SprgMeeting(models.Model):
    """A Strategic Provider Risk Group meeting: date, members present, and its decisions per provider."""

    meeting_date = models.DateField(unique=True)
    members_present = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-meeting_date"]

    def __str__(self):
        return f"SPRG {self.meeting_date:%-d %B %Y}"


class SprgDecision(models.Model):
    meeting = models.ForeignKey(SprgMeeting, on_delete=models.PROTECT, related_name="decisions")
    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="sprg_decisions")
    decision = models.CharField(max_length=200)
    notes = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.meeting}: {self.decision}"


class NotificationRecipient(models.Model):
    """Who is told of a suspension or its lifting (docs/process.md, Route 2 step 5). Administrators keep the list."""

    name = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class RouteNotification(models.Model):
    class Stage(models.TextChoices):
        SUSPENSION = "suspension", "Suspension"
        LIFTING = "lifting", "Lifting"

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="route_notifications")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    recipient = models.ForeignKey(NotificationRecipient, on_delete=models.PROTECT)
    report = models.ForeignKey(DecisionReport, on_delete=models.PROTECT, related_name="notifications")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    copy = models.FileField(upload_to="notifications/%Y/%m/", blank=True)
    copy_name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["recipient__position", "recipient__name"]
        constraints = [models.UniqueConstraint(fields=["report", "recipient"], name="notify_each_once")]

    def __str__(self):
        return f"{self.recipient} ({self.get_stage_display()})"


class CqtVisit(models.Model):
    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="visits")
    visit_date = models.DateField()
    visited_by = models.CharField(max_length=200)
    findings = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visit_date"]

    def __str__(self):
        return f"CQT visit on {self.visit_date:%-d %B %Y}"


class CaseMeeting(models.Model):
    """A QA meeting, PPM, JIMP or SOSG meeting held on a case."""

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="meetings")
    level = models.CharField(max_length=10, choices=Level.choices[:4])
    meeting_date = models.DateField()
    attendees = models.JSONField(default=list, help_text='[{"name": ..., "agency": ...}]')
    provider_attended = models.BooleanField()
    minutes = models.TextField()
    outcome = models.CharField(max_length=20, choices=MeetingOutcome.choices, blank=True,
                               help_text="What the meeting decided; blank: not recorded")
    outcome_notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_date", "id"]

    def __str__(self):
        return f"{self.get_level_display()} on {self.meeting_date:%-d %B %Y}"

    @property
    def outcome_sentence(self) -> str:
        """"The last PPM on 3 November 2026 agreed to extend the timescales"."""
        said = OUTCOME_PHRASE.get(self.outcome, "has no outcome recorded")
        return f"The last {MEETING_NAME[self.level]} on {long_date(self.meeting_date)} {said}"


class LadderMove(models.Model):
    """One move on the ladder: from where to where, the reason, the rationale when it skipped a step, and the
    meeting whose outcome allowed it (none for a skip or a referral on a performance review)."""

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="ladder_moves")
    transition = models.CharField(max_length=40)
    from_level = models.CharField(max_length=20, choices=Level.choices)
    to_level = models.CharField(max_length=20, choices=Level.choices)
    reason = models.TextField()
    skip_rationale = models.TextField(blank=True)
    meeting = models.ForeignKey(CaseMeeting, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["moved_at", "id"]

    def __str__(self):
        return f"{self.get_from_level_display()} to {self.get_to_level_display()} on {long_date(self.moved_at)}"


class MeetingDocument(CheckedUpload):
    meeting = models.ForeignKey(CaseMeeting, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to="meetings/%Y/%m/")


class ActionPlan(models.Model):
    """A Developmental or Corrective Action Plan agreed at PPM, JIMP or SOSG."""

    class Kind(models.TextChoices):
        DAP = "dap", "Developmental Action Plan (DAP)"
        CAP = "cap", "Corrective Action Plan (CAP)"
        IMPROVEMENT = "improvement", "Improvement plan (suspension routes)"

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="plans")
    level = models.CharField(max_length=10, choices=Level.choices[:4])
    kind = models.CharField(max_length=12, choices=Kind.choices)
    start_date = models.DateField()
    review_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(review_date__gte=models.F("start_date")),
                                              name="plan_review_not_before_start")]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.start_date:%-d %B %Y}"


class PlanAction(models.Model):
    class Owner(models.TextChoices):
        PROVIDER = "provider", "Provider"
        COUNCIL = "council", "Council"
        PARTNER = "partner", "Partner agency"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="actions")
    area_of_concern = models.CharField(max_length=200)
    action = models.TextField()
    owner = models.CharField(max_length=10, choices=Owner.choices)
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self):
        return f"{self.area_of_concern}: {self.action[:60]}"

    @property
    def status_tag(self):
        return {"not_started": "govuk-tag--grey", "in_progress": "govuk-tag--blue",
                "complete": "govuk-tag--green"}[self.status]


class ProgressNote(models.Model):
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="progress_notes")
    note = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at"]

    def __str__(self):
        return f"Progress note on {self.action}"


class PerformanceReview(models.Model):
    """DAP/CAP performance review (docs/process.md section 3): is the improvement satisfactory?"""

    class Verdict(models.TextChoices):
        SATISFACTORY = "satisfactory", "Improvement satisfactory (close or step down)"
        REVIEW_TIMESCALES = "review_timescales", "Review timescales (new due dates)"
        ESCALATE = "escalate", "Not satisfactory: escalate to the next level"

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="reviews")
    review_date = models.DateField()
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    notes = models.TextField()
    new_review_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-review_date", "-id"]

    def __str__(self):
        return f"Review on {self.review_date:%-d %B %Y}: {self.get_verdict_display()}"
