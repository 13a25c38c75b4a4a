from django_fsm import can_proceed

from audit.services import events_for
from letters import permissions as letter_perms

from . import permissions as perms
from .models import LADDER, EscalationCase, Level
from .services import is_skip


def open_cases():
    return EscalationCase.objects.open().select_related("provider", "owner")


def available_moves(case, user) -> list[dict]:
    """The ladder moves this user may take now: source state, guards and role all satisfied."""
    if not perms.can_move_case(case, user):
        return []
    moves = []
    for transition in case.get_available_level_transitions():
        moves.append({"name": transition.name, "label": transition.custom.get("label", transition.name),
                      "kind": transition.custom.get("kind"), "target": transition.target,
                      "skip": is_skip(case, transition.name)})
    order = [value for value, _ in Level.choices]
    return sorted(moves, key=lambda m: (m["kind"] != "escalate", order.index(m["target"])))


def blocked_moves(case, user) -> list[str]:
    """Moves that exist from this level but whose guard is not met yet, with what is missing."""
    from .services import _why_not

    if not perms.can_move_case(case, user) or not case.is_open:
        return []
    available = {t.name for t in case.get_available_level_transitions()}
    out = []
    for transition in case.get_all_level_transitions():
        if transition.source == case.level and transition.name not in available and \
                not can_proceed(getattr(case, transition.name)):
            out.append(f"{transition.custom.get('label')}: {_why_not(case, transition.name)}")
    return sorted(set(out))


def ladder(case) -> list[dict]:
    return [{"level": lv, "step": i + 1, "current": case.level == lv} for i, lv in enumerate(LADDER)]


def route_actions(case, user) -> dict:
    """Which suspension-route actions this user may take now (buttons on the case page)."""
    from accounts import roles
    from accounts.roles import has_role

    from .models import Route
    from .route_views import sprg_choices

    report = case.current_report()
    waiting_dmt = case.route in (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED)
    waiting_sign = case.route in (Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED)
    signed = set(report.sign_offs.values_list("signed_by_id", flat=True)) if report else set()
    needs = (report.required_capacities() - report.signed_capacities()) if (report and waiting_sign) else set()
    can_sign = waiting_sign and user.pk not in signed and report.author_id != user.pk and (
        ("dass" in needs and has_role(user, roles.DASS)) or ("icb" in needs and has_role(user, roles.ICB_COLLEAGUE)))
    return {
        "sprg": case.is_open and perms.can_record_sprg_decision(case, user) and bool(sprg_choices(case)),
        "report": waiting_dmt and perms.can_write_report(user, case),
        "dmt": waiting_dmt and report is not None and perms.can_record_dmt_decision(case, user)
        and report.author_id != user.pk,
        "sign": bool(can_sign),
        "improvement_plan": perms.can_keep_route_records(user, case) and case.is_open
        and case.route not in (Route.NONE, Route.OVERSIGHT) and case.improvement_plan() is None,
        "visit": perms.can_keep_route_records(user, case) and case.is_open
        and case.route in (Route.AT_RISK, Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED),
        "notifications": perms.can_keep_route_records(user, case),
        "report_obj": report,
        "needs": sorted(needs),
    }


def with_case_clearance(user, items, case_of=lambda item: item.case):
    """Set `cleared` on each item (deadlines, SPRG decisions...): may this person see the free text recorded
    with it? The rule is the case's (perms.can_read_case, which counts the restricted concerns of the case and
    of every case it was reopened from), worked out once per case."""
    cache = {}
    items = list(items)
    for item in items:
        case = case_of(item)
        if case.pk not in cache:
            cache[case.pk] = perms.can_read_case(user, case)
        item.cleared = cache[case.pk]
    return items


def case_page(case, user) -> dict:
    if not perms.can_read_case(user, case):
        # Only that the case exists and where it stands: no free text, minutes, documents, reasons or letters.
        return {"case": case, "cleared": False, "ladder": ladder(case), "concerns": case.concerns.all()}
    return {
        "case": case,
        "cleared": True,
        "ladder": ladder(case),
        "moves": available_moves(case, user),
        "blocked": blocked_moves(case, user),
        "meetings": case.meetings.prefetch_related("documents").select_related("recorded_by"),
        "plans": case.plans.prefetch_related("actions__progress_notes__written_by", "reviews__recorded_by"),
        "concerns": case.concerns.all(),
        "events": events_for(case)[:100],
        "route": route_actions(case, user),
        "deadlines": with_case_clearance(user, case.deadlines.select_related("case"), lambda d: case),
        "letters": case.letters.all(),
        "can_draft_letters": letter_perms.can_draft(user, case),
        "can_change_deadlines": perms.can_move_case(case, user),
        "reports": case.reports.prefetch_related("sign_offs__signed_by").select_related("author"),
        "route_notifications": case.route_notifications.select_related("recipient", "done_by", "report"),
        "visits": case.visits.all(),
        "sprg_decisions": case.sprg_decisions.select_related("meeting", "recorded_by"),
        "level_names": dict(Level.choices),
        "can": {
            "meeting": perms.can_record_meeting(user, case),
            "plan": perms.can_manage_plan(user, case) and case.level != Level.QA,
            "review": perms.can_record_review(user, case),
            "link": perms.can_link_concern(user, case),
            "reopen": perms.can_reopen(user, case) and not hasattr(case, "reopened_as"),
        },
    }
