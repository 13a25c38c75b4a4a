"""Restricted means restricted everywhere.

One safeguarding-restricted scenario is built through the services on top of the demo data, with a distinct
sentinel phrase in every free-text field of every record about it (the concerns, the case and everything
recorded on it, letters, deadlines, audit events). Then every URL pattern of the project, the admin included,
is requested as anonymous, as a person with no role and as an uncleared person of every role: no response
(HTML, CSV, JSON, iCalendar, SVG, files, PDFs read with pdftotext) may contain any sentinel. A cleared CQM is
the positive control: the same sweep must show them the sentinels, or the test would prove nothing.
"""

import datetime
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from audit.models import Event
from audit.services import record
from concerns import services as concern_services
from concerns.models import Concern, JqmmMeeting, RiskAssessment
from deadlines import services as deadline_services
from deadlines.models import Deadline
from escalation import route_services
from escalation import services as case_services
from escalation.models import CaseMeeting, EscalationCase, MeetingDocument, PlanAction, RouteNotification
from letters import services as letter_services
from letters.models import Letter, LetterKind
from oversight import services as oversight_services
from placements import selectors as placement_selectors
from placements import services as placement_services
from placements.models import AuthorityNotice, ClosureResident, PlacementReview
from providers.models import Provider
from tests import replies_world

PREFIX = "SENTINEL-"
S = {name: f"{PREFIX}{name}-7Q" for name in [
    "DESCRIPTION", "RAISEDBY", "CMREF", "EVIDENCE-NAME", "EVIDENCE-BODY", "ADVISER", "ADVICE", "MONITOR-BY",
    "MONITOR-NOTE", "FURTHER-REASON", "RISK-NOTES", "RISK-OVERRIDE", "DESCRIPTION2", "OUTCOME",
    "RATIONALE", "ATTENDEE", "AGENCY", "MINUTES", "MEETING-OUTCOME", "MEETDOC-NAME", "MEETDOC-BODY",
    "AREA", "ACTION", "ACTION-EVIDENCE", "PROGRESS", "REVIEW", "MOVE-REASON", "SPRG-AT-RISK", "IMP-AREA",
    "IMP-ACTION", "SPRG-NOT-COMPLIED", "REPORT-V1", "DMT-DECLINE", "SPRG-NOT-COMPLIED2", "REPORT-V2",
    "DMT-ENDORSE", "NOTIFY-NOTE", "COPY-NAME", "COPY-BODY", "VISITOR", "VISIT-FINDINGS", "OPEN-AREAS",
    "SPRG-PROGRESS", "LIFTING-REPORT", "CONDITION", "EXTEND-REASON", "WAIVE-REASON", "ADDRESSEE-DRAFT",
    "LETTER-DRAFT", "ADDRESSEE-ISSUED", "LETTER-ISSUED", "ADDRESSEE-WITHDRAWN", "LETTER-WITHDRAWN",
    "WITHDRAW-REASON", "LEGACY-CASE", "LEGACY-CONCERN", "LEGACY-RISK", "REOPEN-REASON", "REOPEN-MINUTES",
    "REOPEN-OUTCOME", "REGISTER-INTERNAL", *replies_world.SENTINEL_NAMES,
]}
SENTINELS = list(S.values())


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = (b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _user(username, *role_names, **extra):
    user = get_user_model().objects.create_user(username=username, password="x-unused-password-2026",
                                                first_name=username.title(), last_name="Tester", **extra)
    user.groups.set(Group.objects.filter(name__in=role_names))
    return get_user_model().objects.get(pk=user.pk)


def build_world():
    """The demo data, plus a restricted scenario with a sentinel in every free-text field."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {u.username: u for u in get_user_model().objects.all()}
    today = timezone.localdate()
    cqm, sg = users["cqm2"], users["safeguarding"]
    logger = _user("logger", roles.CONTRACT_OFFICER)
    deciders = {"sprg_c": _user("sprg_c", roles.SPRG_MEMBER), "dmt_c": _user("dmt_c", roles.DMT_MEMBER),
                "dass_c": _user("dass_c", roles.DASS), "icb_c": _user("icb_c", roles.ICB_COLLEAGUE)}
    users.update(deciders, logger=logger, norole=_user("norole"))
    provider = Provider.objects.create(cqc_location_id="1-199999999", name="Larchfield House",
                                       address="1 Larch Road, Northfield", town="Northfield", postcode="NF9 9ZZ",
                                       service_types="Residential homes", registered_manager="Pat Doe")

    def data(description, raised_by, refs):
        return {"source": "safeguarding", "received_on": today - datetime.timedelta(days=3), "raised_by": raised_by,
                "description": description, "people_affected": 1, "care_management_refs": refs,
                "safety_concern": True, "position_of_trust": False, "referral_uncertain": False}

    first = concern_services.log_concern(user=logger, provider_id=provider.pk,
                                         data=data(S["DESCRIPTION"], S["RAISEDBY"], [S["CMREF"]]),
                                         files=[_pdf(S["EVIDENCE-NAME"] + ".pdf", S["EVIDENCE-BODY"])])
    concern_services.record_safeguarding_advice(user=sg, concern_id=first.pk, adviser=S["ADVISER"],
                                                advised_on=today - datetime.timedelta(days=2), advice=S["ADVICE"])
    concern_services.start_same_day_monitoring(user=logger, concern_id=first.pk,
                                               monitoring_date=today - datetime.timedelta(days=2),
                                               carried_out_by=S["MONITOR-BY"], note=S["MONITOR-NOTE"])
    concern_services.route_to_further_action(user=logger, concern_id=first.pk, reason=S["FURTHER-REASON"])
    assessment = concern_services.record_risk_assessment(user=logger, concern_id=first.pk, engagement=1, impact=1,
                                                         level="jimp", override_reason=S["RISK-OVERRIDE"],
                                                         notes=S["RISK-NOTES"])
    # A second restricted concern, logged by a CQM and decided at a JQMM: the logger is cleared for the first
    # concern only, so not for the case that holds both.
    second = concern_services.log_concern(user=users["cqm"], provider_id=provider.pk,
                                          data=data(S["DESCRIPTION2"], "Care Management social worker", []))
    concern_services.record_safeguarding_advice(user=sg, concern_id=second.pk, adviser="Safeguarding Adults Team",
                                                advised_on=today - datetime.timedelta(days=2), advice="Visit.")
    upcoming = JqmmMeeting.objects.filter(meeting_date__gt=today).first()
    past = JqmmMeeting.objects.filter(meeting_date__lt=today).first()
    concern_services.route_to_jqmm(user=users["cqm"], concern_id=second.pk, meeting_id=upcoming.pk)
    Concern.objects.filter(pk=second.pk).update(jqmm=past)
    concern_services.record_jqmm_outcome(user=users["cqm"], concern_id=second.pk, further_action=True,
                                         notes=S["OUTCOME"])
    for concern in (first, second):  # decision-makers are cleared by sharing, as the case page says
        for decider in deciders.values():
            concern_services.share_concern(user=sg, concern_id=concern.pk, colleague=decider)

    case = case_services.open_case(user=cqm, provider_id=provider.pk, level="ppm", concern_ids=[first.pk],
                                   rationale=S["RATIONALE"], jointly_commissioned=True)
    case_services.link_concern(user=cqm, case_id=case.pk, concern_id=second.pk)
    case_services.record_meeting(user=cqm, case_id=case.pk, meeting_date=today,
                                 attendees=[{"name": S["ATTENDEE"], "agency": S["AGENCY"]}], provider_attended=True,
                                 minutes=S["MINUTES"], outcome="not_satisfactory",
                                 outcome_notes=S["MEETING-OUTCOME"],
                                 files=[_pdf(S["MEETDOC-NAME"] + ".pdf", S["MEETDOC-BODY"])])
    plan = case_services.create_plan(user=cqm, case_id=case.pk, kind="cap", start_date=today,
                                     review_date=today + datetime.timedelta(days=28))
    action = case_services.add_action(user=cqm, plan_id=plan.pk, area_of_concern=S["AREA"], action=S["ACTION"],
                                      owner="provider", due_date=today + datetime.timedelta(days=7))
    case_services.update_action(user=cqm, action_id=action.pk, status="in_progress", evidence=S["ACTION-EVIDENCE"],
                                due_date=action.due_date)
    case_services.add_progress_note(user=cqm, action_id=action.pk, note=S["PROGRESS"])
    case_services.record_review(user=cqm, plan_id=plan.pk, review_date=today, verdict="review_timescales",
                                notes=S["REVIEW"], new_review_date=today + datetime.timedelta(days=40))
    case_services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_jimp", reason=S["MOVE-REASON"])

    def sprg(decision, notes, **kw):
        route_services.record_sprg_decision(user=deciders["sprg_c"], case_id=case.pk, decision=decision,
                                            meeting_date=today, members_present="Chair; Finance", notes=notes, **kw)

    def version():
        return EscalationCase.objects.get(pk=case.pk).current_report().version

    def sign_both():
        route_services.sign_off(user=deciders["dass_c"], case_id=case.pk, capacity="dass", report_version=version())
        route_services.sign_off(user=deciders["icb_c"], case_id=case.pk, capacity="icb", report_version=version())

    sprg("agree_at_risk", S["SPRG-AT-RISK"])
    improvement = route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=today,
                                                         review_date=today + datetime.timedelta(days=28))
    case_services.add_action(user=cqm, plan_id=improvement.pk, area_of_concern=S["IMP-AREA"], action=S["IMP-ACTION"],
                             owner="provider", due_date=today + datetime.timedelta(days=14))
    sprg("route1_not_complied", S["SPRG-NOT-COMPLIED"])
    route_services.write_report(user=cqm, case_id=case.pk, body=S["REPORT-V1"])
    route_services.record_dmt_decision(user=deciders["dmt_c"], case_id=case.pk, endorsed=False,
                                       rationale=S["DMT-DECLINE"], report_version=version(), return_to="restart")
    sprg("route1_not_complied", S["SPRG-NOT-COMPLIED2"])
    route_services.write_report(user=cqm, case_id=case.pk, body=S["REPORT-V2"])
    route_services.record_dmt_decision(user=deciders["dmt_c"], case_id=case.pk, endorsed=True,
                                       rationale=S["DMT-ENDORSE"], report_version=version())
    sign_both()
    replies_world.plant_replies(S=S, pdf=_pdf, case=case, cqm=cqm, safeguarding=sg, concerns=(first, second))
    notification = RouteNotification.objects.filter(case=case).first()
    route_services.mark_notification_done(user=cqm, notification_id=notification.pk, note=S["NOTIFY-NOTE"],
                                          copy=_pdf(S["COPY-NAME"] + ".pdf", S["COPY-BODY"]))
    route_services.record_visit(user=cqm, case_id=case.pk, visit_date=today, visited_by=S["VISITOR"],
                                findings=S["VISIT-FINDINGS"])
    sprg("sufficient_progress", S["SPRG-PROGRESS"], open_areas_reason=S["OPEN-AREAS"])
    route_services.write_report(user=cqm, case_id=case.pk, body=S["LIFTING-REPORT"], conditional=True,
                                conditions=[{"condition": S["CONDITION"],
                                             "review_date": today + datetime.timedelta(days=10)}],
                                oversight_until=today + datetime.timedelta(days=60))
    route_services.record_dmt_decision(user=deciders["dmt_c"], case_id=case.pk, endorsed=True, rationale="",
                                       report_version=version())
    sign_both()

    live = Deadline.objects.filter(case=case, status__in=deadline_services.LIVE)
    extended = live.filter(kind="plan_action").first()
    deadline_services.extend_deadline(user=cqm, deadline_id=extended.pk, reason=S["EXTEND-REASON"],
                                      new_due_date=extended.due_date + datetime.timedelta(days=3))
    waived = live.filter(kind="plan_review").first()
    deadline_services.waive_deadline(user=cqm, deadline_id=waived.pk, reason=S["WAIVE-REASON"])
    # An uncleared officer responsible for a deadline whose title quotes the case (the condition's text).
    Deadline.objects.filter(case=case, kind="condition_review").update(assignee=users["officer2"])
    # ...and reminded of it (in the app and by email): the reminder must not quote the case either.
    condition_due = Deadline.objects.get(case=case, kind="condition_review").due_date
    assert deadline_services.sweep(today=condition_due)["sent"] > 0
    assert users["officer2"].notifications.exists()

    def letter(addressee, text):
        return letter_services.create_draft(user=cqm, case_id=case.pk, kind=LetterKind.AT_RISK, addressee=addressee,
                                            free_text=text)

    letter(S["ADDRESSEE-DRAFT"], S["LETTER-DRAFT"])
    letter_services.issue_letter(user=cqm, letter_id=letter(S["ADDRESSEE-ISSUED"], S["LETTER-ISSUED"]).pk)
    withdrawn = letter_services.issue_letter(user=cqm,
                                             letter_id=letter(S["ADDRESSEE-WITHDRAWN"], S["LETTER-WITHDRAWN"]).pk)
    letter_services.withdraw_letter(user=cqm, letter_id=withdrawn.pk, reason=S["WITHDRAW-REASON"])
    # Events written before audit summaries stopped quoting free text: their summaries must stay hidden too.
    with transaction.atomic():
        record(actor=cqm, obj=case, kind="legacy_note", summary=S["LEGACY-CASE"])
        record(actor=cqm, obj=first, kind="legacy_note", summary=S["LEGACY-CONCERN"])
        record(actor=cqm, obj=assessment, kind="legacy_note", summary=S["LEGACY-RISK"])
    [episode] = placement_selectors.episodes(cqm, case_ids=[case.pk])  # its register entry's internal detail
    placement_services.save_register_entry(user=cqm, case_id=case.pk, episode_start_id=episode.start_log_id,
                                           public_summary="Placements were suspended, then the suspension lifted.",
                                           internal_detail=S["REGISTER-INTERNAL"], made_public=False)
    reopened = _reopened_restricted_case(users, today)
    TOTPDevice.objects.create(user=users["admin"], name="Authenticator app", confirmed=True)
    # Meeting packs built for cleared and uncleared people: each downloads only their own.
    packs = []
    for who, kind in (("cqm", "sprg"), ("cqm", "dmt"), ("sprg", "sprg"), ("dmt", "dmt"), ("dass", "sprg")):
        job, _ = oversight_services.request_pack(user=users[who], kind=kind, meeting_date=today)
        packs.append(oversight_services.build_pack(job_id=job.pk).pk)
    return {"users": users, "case": case, "events": _sentinel_events(), "concerns": [first, second],
            "provider": provider, "assessment": assessment, "upcoming": upcoming, "past": past,
            "reopened": reopened, "packs": packs}


def _reopened_restricted_case(users, today):
    """A restricted case closed and reopened: the new case holds no concern itself, but carries on the old one
    (its rationale quotes why it was reopened), so it is as restricted as the case it was reopened from."""
    cqm = users["cqm"]
    provider = Provider.objects.create(cqc_location_id="1-188888888", name="Rowan Court", address="2 Rowan Way",
                                       town="Northfield", postcode="NF9 8ZZ", service_types="Nursing homes",
                                       registered_manager="Sam Roe")
    concern = concern_services.log_concern(
        user=cqm, provider_id=provider.pk,
        data={"source": "safeguarding", "received_on": today - datetime.timedelta(days=3),
              "raised_by": "Care Management social worker", "description": "A restricted concern.",
              "people_affected": 1, "care_management_refs": [], "safety_concern": True, "position_of_trust": False,
              "referral_uncertain": False})
    concern_services.record_safeguarding_advice(user=users["safeguarding"], concern_id=concern.pk,
                                                adviser="Safeguarding Adults Team",
                                                advised_on=today - datetime.timedelta(days=2), advice="Visit.")
    concern_services.start_same_day_monitoring(user=cqm, concern_id=concern.pk,
                                               monitoring_date=today - datetime.timedelta(days=2),
                                               carried_out_by="Quality officer", note="Visited.")
    concern_services.route_to_further_action(user=cqm, concern_id=concern.pk, reason="Needs a case.")
    old = case_services.open_case(user=cqm, provider_id=provider.pk, level="qa", concern_ids=[concern.pk],
                                  rationale="Opened at QA.")
    meeting = {"attendees": [{"name": "A", "agency": "B"}], "provider_attended": True}
    case_services.record_meeting(user=cqm, case_id=old.pk, meeting_date=today, minutes="m", outcome="resolved",
                                 **meeting)
    case_services.move_case(user=cqm, case_id=old.pk, transition_name="close", reason="Resolved.")
    new = case_services.reopen_case(user=cqm, case_id=old.pk, level="qa", reason=S["REOPEN-REASON"])
    assert not new.concerns.exists()
    case_services.record_meeting(user=cqm, case_id=new.pk, meeting_date=today, minutes=S["REOPEN-MINUTES"],
                                 outcome="not_resolved", outcome_notes=S["REOPEN-OUTCOME"], **meeting)
    return new


# --- signing in -------------------------------------------------------------------------------------------

def login(client, user):
    """Sign in, with a verified second factor where the project asks for one."""
    client.force_login(user)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice
    except ImportError:  # pragma: no cover - the project always has django-otp
        return
    device, _ = StaticDevice.objects.get_or_create(user=user, name="sentinel-test", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def client_for(user):
    client = Client()
    if user is not None:
        login(client, user)
    return client


# --- every URL ----------------------------------------------------------------------------------------------

def _patterns(patterns, prefix=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, (*prefix, p.pattern))
        elif isinstance(p, URLPattern):
            yield (*prefix, p.pattern), p


def _param_names(pattern_obj) -> list[str]:
    if isinstance(pattern_obj, RegexPattern):
        return list(pattern_obj.regex.groupindex)
    return list(getattr(pattern_obj, "converters", {}))


def _fill(pattern_obj, values: dict) -> str:
    text = str(pattern_obj)
    if isinstance(pattern_obj, RegexPattern):
        text = text.lstrip("^").rstrip("$")
        for name, value in values.items():
            text = re.sub(r"\(\?P<" + name + r">[^)]*\)", str(value), text)
        return text.replace("\\", "")
    for name, value in values.items():
        text = re.sub(r"<(?:\w+:)?" + name + ">", str(value), text)
    return text


def _admin_ids(world, model) -> list:
    """The planted objects of an admin model (or any two of a model the scenario does not touch)."""
    cache = world.setdefault("admin_ids", {})
    if model not in cache:
        case, (first, second) = world["case"], world["concerns"]
        planted = {Event: lambda: world["events"], Concern: lambda: [first.pk, second.pk],
                   RiskAssessment: lambda: [world["assessment"].pk],
                   Letter: lambda: list(case.letters.values_list("pk", flat=True)),
                   Provider: lambda: [world["provider"].pk],
                   EscalationCase: lambda: [case.pk, world["reopened"].pk]}
        ids = planted[model]() if model in planted else list(model._default_manager.values_list("pk", flat=True)[:2])
        cache[model] = ids or [0]
    return cache[model]


def _pools(world, pattern: str, callback) -> dict:
    """Values for each URL parameter, chosen by where it appears: the planted objects first."""
    case, second = world["case"], world["concerns"][1]
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None:
        ids = _admin_ids(world, model_admin.model)
        return {"object_id": ids, "pk": ids, "id": ids}
    if "pools" not in world:
        world["pools"] = _base_pools(world)
    pools = world["pools"]
    if pattern.startswith("concerns/jqmm/"):
        return {**pools, "pk": [world["past"].pk, world["upcoming"].pk], "concern_id": [second.pk]}
    pk = next((ids for start, ids in pools["pk_by_prefix"] if pattern.startswith(start)), [case.pk])
    return {**pools, "pk": pk}


def intelligence_pools() -> list:
    """The demo's intelligence records (a suggestion, a rule, a visit, an audit, a meeting, an import)."""
    from intelligence import models as intel

    return [(f"intelligence/{prefix}", list(model.objects.values_list("pk", flat=True)[:2])) for prefix, model in (
        ("suggestions/", intel.SuggestedConcern), ("triggers/", intel.TriggerRule), ("visits/", intel.MonitoringVisit),
        ("audits/", intel.QualityAudit), ("cqc-meetings/", intel.CqcMeeting), ("ratings/import/", intel.RatingsImport))]


def _base_pools(world) -> dict:
    case, (first, second) = world["case"], world["concerns"]
    plans = list(case.plans.values_list("pk", flat=True))
    actions = list(PlanAction.objects.filter(plan__case=case).values_list("pk", flat=True))
    # The deadlines whose title or reasons quote the case, and one more.
    deadlines = list(case.deadlines.exclude(status_reason="").values_list("pk", flat=True)[:3]) + list(
        case.deadlines.filter(assignee__isnull=False).values_list("pk", flat=True)[:1])
    replies = replies_world.pools(case)
    pk_pools = [("replies/updates/", replies["updates"]), ("replies/appeals/", replies["appeals"]),
                ("portal/appeals/", replies["appeals"]),
                ("providers/", [world["provider"].pk]), ("concerns/", [first.pk, second.pk]),
                ("cases/", [case.pk, world["reopened"].pk]),
                ("deadlines/", deadlines),
                ("letters/", list(case.letters.values_list("pk", flat=True))),
                ("notifications/", [1]), ("oversight/packs/", world["packs"]),
                ("placements/reviews/", list(PlacementReview.objects.values_list("pk", flat=True)[:2])),
                ("placements/closure-plan/residents/", list(ClosureResident.objects.values_list("pk", flat=True)[:1])),
                ("placements/closure-plan/notices/", list(AuthorityNotice.objects.values_list("pk", flat=True)[:1])),
                *intelligence_pools()]
    return {
        "pk_by_prefix": pk_pools, "provider_id": [world["provider"].pk], "case_id": [case.pk, world["reopened"].pk],
        "evidence_id": list(first.evidence.values_list("pk", flat=True)) + replies["evidence"],
        "decision_id": replies["decisions"],
        "concern_id": [first.pk, second.pk],  # sharing a concern with its provider (provider-portal/)
        "plan_id": plans, "action_id": actions,
        "document_id": list(MeetingDocument.objects.filter(meeting__case=case).values_list("pk", flat=True)),
        "notification_id": list(case.route_notifications.order_by("-copy_name", "pk").values_list("pk", flat=True)[:2]),
        "transition_name": ["escalate_to_sosg", "close"],  # one view: a move up and a move out are enough
        "kind": [LetterKind.AT_RISK],
        "app_label": sorted({m._meta.app_label for m in admin.site._registry}),
        "url": ["nothing-here/"],
        "log_id": [e.start_log_id for e in placement_selectors.episodes(world["users"]["cqm"], case_ids=[case.pk])],
    }


def _sentinel_events() -> list[int]:
    """Every audit event whose summary or changes quote a sentinel."""
    return sorted(e.pk for e in Event.objects.all() if leaks(e.summary + repr(e.changes)))


ADMIN_SAMPLE = ("/admin/", "/admin/audit/event/", "/admin/letters/letter/", "/admin/concerns/concern/")


def every_url(world, calendar_token=None, staff=True) -> list[str]:
    """Every URL pattern of the project, each parameter filled with the planted objects. For people who are not
    staff, the admin answers every address with its sign-in page, so a sample of it is enough."""
    if "urls" not in world:
        world["urls"] = _every_url(world)
    urls = [u.replace(TOKEN, calendar_token) if TOKEN in u else u for u in world["urls"]
            if calendar_token or TOKEN not in u]
    if not staff:
        urls = [u for u in urls if not u.startswith("/admin/") or u.split("?")[0] in ADMIN_SAMPLE
                or u.startswith(f"/admin/audit/event/{world['events'][0]}/")]
    return urls


TOKEN = "__calendar_token__"


def _every_url(world) -> list[str]:
    urls = []
    for parts, pattern in _patterns(get_resolver().url_patterns):
        names = [n for part in parts for n in _param_names(part)]
        route = "".join(str(part) for part in parts)
        if "token" in names:
            urls.append("/" + "".join(_fill(part, {"token": TOKEN}) for part in parts))
            continue
        pools = _pools(world, route, pattern.callback)
        combos = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in (pools.get(name) or [0])]
        model_admin = getattr(pattern.callback, "model_admin", None)
        if model_admin is not None and model_admin.model is Event and not route.endswith("change/"):
            combos = combos[:1]  # every restricted event's change page; its history and delete pages once
        for values in combos:
            url = "/" + "".join(_fill(part, values) for part in parts)
            urls.append(url)
            if url.startswith("/admin/") and url.endswith("/") and len(url.strip("/").split("/")) == 3:
                urls.append(url + "?q=" + PREFIX.rstrip("-"))  # the admin search must not match restricted text
    return sorted(set(urls))


# --- reading responses ------------------------------------------------------------------------------------

HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None  # poppler-utils: RUNTIME_APT installs it
if not HAVE_PDFTOTEXT and os.environ.get("REQUIRE_SERVICES") == "1":
    raise RuntimeError("pdftotext (poppler-utils) is missing: the sweep could not read PDFs")


def body_text(response) -> str:
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = raw_text(raw)
    if "text/calendar" in response.get("Content-Type", ""):
        text = text.replace("\r\n ", "").replace("\n ", "")  # unfold long iCalendar lines
    return text


def raw_text(raw: bytes) -> str:
    """The text of a body: PDFs through pdftotext, and each file of a ZIP (a case's whole record) read the same way,
    since compressed bytes would hide a leak."""
    text = raw.decode("utf-8", "replace")
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            text += "\n" + "\n".join(archive.namelist())
            text += "\n".join(raw_text(archive.read(name)) for name in archive.namelist())
    if raw.startswith(b"%PDF") and HAVE_PDFTOTEXT:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(raw)
            handle.flush()
            result = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, timeout=30)
        text += "\n" + result.stdout.decode("utf-8", "replace")
    return text


def leaks(text: str) -> set[str]:
    return {s for s in SENTINELS if s in text}


def calendar_token_for(user):
    if not roles.roles_of(user):
        return None
    if hasattr(deadline_services, "reset_calendar_link"):
        return deadline_services.reset_calendar_link(user=user)
    from deadlines.views import calendar_token  # the signed address of earlier releases

    return calendar_token(user)


def sweep(client, urls) -> dict[str, tuple[int, set[str]]]:
    """GET each address; its status and the sentinels found in the body."""
    out = {}
    for url in urls:
        response = client.get(url)
        out[url] = (response.status_code, leaks(body_text(response)))
    return out


CASE_TABS = ["", "meetings/", "plans/", "decisions/", "provider-portal/", "timeline/", "deadlines/"]
UNCLEARED = ["officer", "officer2", "sprg", "dmt", "dass", "icb", "auditor", "admin", "caremanager"]


@pytest.mark.django_db(transaction=False)
def test_no_uncleared_person_sees_restricted_text_anywhere():
    world = build_world()
    users = world["users"]
    admin_user = users["admin"]
    assert admin_user.is_superuser and admin_user.is_staff and roles.has_role(admin_user, roles.ADMINISTRATOR)
    case = world["case"]

    # Positive control first: a cleared CQM sees the sentinels, so the sweep can see a leak if there is one.
    cqm = users["cqm"]
    control = sweep(client_for(cqm), every_url(world, calendar_token_for(cqm), staff=False))
    seen = set().union(*(found for _, found in control.values()))
    def record_of(case):  # the pages of a case's record, together
        pages = [control[f"/cases/{case.pk}/{tab}"] for tab in CASE_TABS]
        assert all(status == 200 for status, _ in pages)
        return set().union(*(found for _, found in pages))

    case_record = record_of(case)
    for name in ("RATIONALE", "MINUTES", "ATTENDEE", "MEETDOC-NAME", "AREA", "ACTION", "PROGRESS", "REVIEW",
                 "SPRG-AT-RISK", "DMT-DECLINE", "NOTIFY-NOTE", "VISIT-FINDINGS", "CONDITION", "EXTEND-REASON",
                 "WAIVE-REASON"):
        assert S[name] in case_record, name
    assert {S["REOPEN-REASON"], S["REOPEN-MINUTES"]} <= record_of(world["reopened"])
    concern_page = control[f"/concerns/{world['concerns'][0].pk}/"]
    for name in ("DESCRIPTION", "RAISEDBY", "CMREF", "ADVICE", "MONITOR-NOTE", "FURTHER-REASON", "RISK-OVERRIDE",
                 "EVIDENCE-NAME"):
        assert S[name] in concern_page[1], name
    assert {S["EVIDENCE-BODY"], S["MEETDOC-BODY"], S["COPY-BODY"], S["ADDRESSEE-DRAFT"], S["REGISTER-INTERNAL"]} <= seen
    assert {S[name] for name in replies_world.SENTINEL_NAMES} <= seen  # the providers' updates and appeals
    if HAVE_PDFTOTEXT:
        assert S["LETTER-ISSUED"] in seen  # the issued PDF, read through pdftotext
    # Their own meeting packs and the case's whole record show them too (the ZIP read file by file).
    own_packs = [url for url in control if url.startswith("/oversight/packs/") and url.endswith("/download/")
                 and control[url][0] == 200]
    first = min(own_packs, key=lambda url: int(url.split("/")[3]))
    assert len(own_packs) == 2 and control[first][1], own_packs  # the SPRG pack (built first) holds the case
    record = control[f"/oversight/cases/{case.pk}/whole-record.zip"]
    assert record[0] == 200 and {S["MINUTES"], S["EVIDENCE-BODY"], S["LETTER-ISSUED"]} <= record[1]
    ok = sum(1 for status, _ in control.values() if status == 200)
    assert ok > 50, f"only {ok} pages answered the CQM: the sweep is not reaching the pages"

    # Everyone else: anonymous, no role, and an uncleared person of every role (the administrator included).
    found = {}
    for who in [None, "norole", *UNCLEARED]:
        user = users.get(who) if who else None
        token = calendar_token_for(user) if user else None
        urls = every_url(world, token, staff=bool(user and user.is_staff))
        for url, (status, hits) in sweep(client_for(user), urls).items():
            if hits:
                found[(who or "anonymous", url)] = (status, sorted(hits))
    assert not found, f"restricted text reached uncleared people: {found}"

    # Uncleared people still see that the case exists, and why the rest is hidden.
    html = client_for(users["sprg"]).get(f"/cases/{case.pk}/").content.decode()
    assert case.reference in html and "This case holds safeguarding-restricted concerns" in html
    # A decision-maker the concerns were shared with is cleared.
    html = client_for(users["sprg_c"]).get(f"/cases/{case.pk}/").content.decode()
    assert S["RATIONALE"] in html and "This case holds safeguarding-restricted concerns" not in html


@pytest.mark.django_db
def test_admin_search_does_not_match_restricted_text_for_an_uncleared_administrator():
    world = build_world()
    admin_client = client_for(world["users"]["admin"])
    searchable = [(m._meta.app_label, m._meta.model_name) for m, a in admin.site._registry.items() if a.search_fields]
    assert ("audit", "event") in searchable and ("concerns", "concern") in searchable
    for app_label, model_name in searchable:
        for sentinel in (S["LEGACY-CASE"], S["LEGACY-CONCERN"], S["LEGACY-RISK"], S["DESCRIPTION"]):
            response = admin_client.get(f"/admin/{app_label}/{model_name}/", {"q": sentinel})
            assert response.status_code == 200
            assert response.context["cl"].result_count == 0, (model_name, sentinel)
    # The same search by an administrator who is also a CQM (cleared) finds the restricted events.
    cleared_admin = _user("cleared_admin", roles.ADMINISTRATOR, roles.CQM, is_staff=True, is_superuser=True)
    response = client_for(cleared_admin).get("/admin/audit/event/", {"q": S["LEGACY-CASE"]})
    assert response.context["cl"].result_count == 1
    assert S["LEGACY-CASE"] in response.content.decode()
    event = Event.objects.get(summary=S["LEGACY-CASE"])
    html = admin_client.get(f"/admin/audit/event/{event.pk}/change/").content.decode()
    assert "Restricted" in html and S["LEGACY-CASE"] not in html


@pytest.mark.django_db
def test_admin_shows_no_structured_values_of_restricted_records_to_an_uncleared_administrator():
    """Not only free text: the provider, scores and level of a restricted concern's risk assessment, and the name
    of the object a restricted event is about, stay out of the admin for an administrator not cleared for them."""
    world = build_world()
    first, second = world["concerns"]
    assessment, case, reopened = world["assessment"], world["case"], world["reopened"]
    provider = world["provider"].name
    uncleared = client_for(world["users"]["admin"])
    cleared = client_for(_user("cleared_admin", roles.ADMINISTRATOR, roles.CQM, is_staff=True, is_superuser=True))

    def listed(client, url, **params):
        response = client.get(url, params)
        assert response.status_code == 200
        return response, {obj.pk for obj in response.context["cl"].result_list}

    response, ids = listed(uncleared, "/admin/concerns/riskassessment/")
    assert assessment.pk not in ids and provider not in response.content.decode()
    assert uncleared.get(f"/admin/concerns/riskassessment/{assessment.pk}/change/").status_code == 302
    response, ids = listed(uncleared, "/admin/concerns/concern/")
    assert not {first.pk, second.pk} & ids and provider not in response.content.decode()
    assert RiskAssessment.objects.count() > 1 and ids  # the unrestricted ones are still listed

    hidden = [Event.objects.filter(content_type__model=model, object_id=str(obj.pk)).first()
              for model, obj in (("riskassessment", assessment), ("concern", first), ("escalationcase", case),
                                 ("escalationcase", reopened))]
    assert all(hidden)
    response, ids = listed(uncleared, "/admin/audit/event/", q=case.reference)
    assert not ids & {e.pk for e in hidden}  # a hidden event is not found by the name of its object
    response = uncleared.get("/admin/audit/event/", {"kind__exact": hidden[0].kind})
    assert hidden[0].pk in {e.pk for e in response.context["cl"].result_list}
    assert hidden[0].object_repr not in response.content.decode()
    for event in hidden:
        for page in ("change", "history"):
            html = uncleared.get(f"/admin/audit/event/{event.pk}/{page}/").content.decode()
            assert "Restricted" in html and event.object_repr not in html, (event.object_repr, page)

    # The positive control: an administrator who is also a CQM is cleared, and sees all of it.
    response, ids = listed(cleared, "/admin/concerns/riskassessment/")
    assert assessment.pk in ids and provider in response.content.decode()
    response, ids = listed(cleared, "/admin/concerns/concern/")
    assert {first.pk, second.pk} <= ids
    for event in hidden:
        assert event.object_repr in cleared.get(f"/admin/audit/event/{event.pk}/change/").content.decode()


# --- the services refuse uncleared people, and nothing changes ----------------------------------------------

def _snapshot(case):
    case = EscalationCase.objects.get(pk=case.pk)
    return (case.level, case.route, case.meetings.count(), case.plans.count(), case.letters.count(),
            case.reports.count(), case.visits.count(), case.sprg_decisions.count(),
            Event.objects.exclude(kind="restricted_access_denied").count(),
            list(case.deadlines.values_list("status", "due_date")))


@pytest.mark.django_db
def test_services_refuse_uncleared_people_on_a_restricted_case():
    world = build_world()
    users, case = world["users"], world["case"]
    today = timezone.localdate()
    letter = case.letters.filter(status="draft").first()
    issued = case.letters.filter(status="issued").first()
    notification = RouteNotification.objects.filter(case=case, done_at__isnull=True).first()
    deadline = case.deadlines.filter(status__in=deadline_services.LIVE, assignee=users["officer2"]).first()
    plan = case.plans.exclude(kind="improvement").order_by("-pk").first()
    action = PlanAction.objects.filter(plan__case=case).first()
    officer2, logger = users["officer2"], users["logger"]
    attempts = {
        "record a meeting": lambda u: case_services.record_meeting(
            user=u, case_id=case.pk, meeting_date=today, attendees=[{"name": "A", "agency": "B"}],
            provider_attended=False, minutes="m", outcome="extend"),
        "record a plan": lambda u: case_services.create_plan(user=u, case_id=case.pk, kind="cap", start_date=today,
                                                             review_date=today),
        "add an action": lambda u: case_services.add_action(user=u, plan_id=plan.pk, area_of_concern="a", action="b",
                                                            owner="provider", due_date=today),
        "add progress": lambda u: case_services.add_progress_note(user=u, action_id=action.pk, note="n"),
        "record a review": lambda u: case_services.record_review(user=u, plan_id=plan.pk, review_date=today,
                                                                 verdict="satisfactory", notes="n"),
        "record a visit": lambda u: route_services.record_visit(user=u, case_id=case.pk, visit_date=today,
                                                                visited_by="v", findings="f"),
        "mark a notification": lambda u: route_services.mark_notification_done(user=u,
                                                                               notification_id=notification.pk),
        "draft a letter": lambda u: letter_services.create_draft(user=u, case_id=case.pk, kind="at_risk",
                                                                 addressee="a", free_text="b"),
        "change a draft": lambda u: letter_services.update_draft(user=u, letter_id=letter.pk, addressee="a",
                                                                 free_text="b"),
        "preview a letter": lambda u: letter_services.preview_pdf(user=u, letter_id=letter.pk),
        "record delivery": lambda u: letter_services.record_delivery(user=u, letter_id=issued.pk, delivered_on=today),
        "extend a deadline": lambda u: deadline_services.extend_deadline(
            user=u, deadline_id=deadline.pk, new_due_date=deadline.due_date + datetime.timedelta(days=30),
            reason="r"),
    }
    decisions = {
        "sprg": lambda u: route_services.record_sprg_decision(user=u, case_id=case.pk, decision="provider_failed",
                                                              meeting_date=today, members_present="m", notes="n"),
        "dmt": lambda u: route_services.record_dmt_decision(user=u, case_id=case.pk, endorsed=True, rationale="",
                                                            report_version=None),
        "dass": lambda u: route_services.sign_off(user=u, case_id=case.pk, capacity="dass", report_version=None),
        "icb": lambda u: route_services.sign_off(user=u, case_id=case.pk, capacity="icb", report_version=None),
    }
    before = _snapshot(case)
    refused = [(users[role], f"record the {role} decision", attempt) for role, attempt in decisions.items()]
    # The logger is cleared for one of the case's two restricted concerns only, so not for the case.
    refused += [(user, name, attempt) for name, attempt in attempts.items() for user in (officer2, logger)]
    for user, name, attempt in refused:
        try:
            attempt(user)
        except PermissionDenied:
            continue
        pytest.fail(f"{user.username} could {name} on a restricted case")
    assert _snapshot(case) == before
    assert Letter.objects.get(pk=letter.pk).free_text == S["LETTER-DRAFT"]
    assert not Deadline.objects.filter(pk=deadline.pk, status_reason="r").exists()
    # The positive control: cleared people may. The CQM records a meeting, and the SPRG member the concerns were
    # shared with records the group's decision.
    case_services.record_meeting(user=users["cqm"], case_id=case.pk, meeting_date=today,
                                 attendees=[{"name": "A", "agency": "B"}], provider_attended=False, minutes="m",
                                 outcome="extend")
    route_services.record_sprg_decision(user=users["sprg_c"], case_id=case.pk, decision="agree_at_risk",
                                        meeting_date=today, members_present="m", notes="n")
    case.refresh_from_db()
    assert case.meetings.count() == before[2] + 1 and case.route == "at_risk"


@pytest.mark.django_db
def test_pages_refuse_uncleared_actions_with_403_and_record_the_attempt():
    world = build_world()
    users, case = world["users"], world["case"]
    client = client_for(users["officer2"])
    letter = case.letters.first()
    deadline = case.deadlines.first()
    document = MeetingDocument.objects.filter(meeting__case=case).first()
    urls = [f"/cases/{case.pk}/meetings/new/", f"/cases/{case.pk}/meetings/documents/{document.pk}/",
            f"/letters/case/{case.pk}/new/", f"/letters/{letter.pk}/", f"/letters/{letter.pk}/preview.pdf",
            f"/deadlines/{deadline.pk}/extend/", f"/cases/{case.pk}/visits/new/"]
    before = Event.objects.filter(kind="restricted_access_denied", actor=users["officer2"]).count()
    for url in urls:
        assert client.get(url).status_code == 403, url
    meetings = CaseMeeting.objects.filter(case=case).count()
    response = client.post(f"/cases/{case.pk}/meetings/new/", {"meeting_date": str(timezone.localdate())})
    assert response.status_code == 403 and CaseMeeting.objects.filter(case=case).count() == meetings
    after = Event.objects.filter(kind="restricted_access_denied", actor=users["officer2"]).count()
    assert after - before == len(urls) + 1
    # Reminders and notifications reach uncleared people without the case's text, in the app and by email.
    from django.core import mail

    officer2 = users["officer2"]
    assert officer2.notifications.exists()
    for note in officer2.notifications.all():
        assert not leaks(note.message), note.message
    for message in mail.outbox:
        if officer2.email in message.to:
            assert not leaks(message.subject + message.body)
    # Audit summaries written by the services quote no free text of the concern or the case.
    for event in Event.objects.filter(kind__in=[
            "case_opened", "case_escalated", "plan_action_added", "plan_action_updated", "progress_note_added",
            "safeguarding_advice_recorded", "same_day_monitoring_started", "letter_withdrawn", "deadline_extended",
            "deadline_waived", "sprg_agree_at_risk", "dmt_declined", "performance_review_recorded"]):
        assert not leaks(event.summary), (event.kind, event.summary)
