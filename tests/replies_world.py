"""The providers' replies part of the restricted scenario of tests/test_clearance_everywhere.py: while the
suspension is in force, the provider's contact appeals (grounds and a file) and sends an update on an improvement-plan
action (progress and a file); the case team queries the update; a DMT member who took no part decides the appeal.
Every free-text field carries a sentinel, so the sweep checks that none of it reaches anyone not cleared."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles
from concerns import services as concern_services
from escalation.models import DecisionReport, PlanAction
from providers.models import ProviderContact
from replies import services as replies_services
from replies.models import ActionUpdate, ActionUpdateEvidence, Appeal, AppealEvidence

SENTINEL_NAMES = ["APPEAL-GROUNDS", "APPEAL-FILE-NAME", "APPEAL-FILE-BODY", "APPEAL-REASONS", "UPDATE-PROGRESS",
                  "UPDATE-FILE-NAME", "UPDATE-FILE-BODY", "UPDATE-QUESTION"]


def plant_replies(*, S, pdf, case, cqm, safeguarding, concerns):
    User = get_user_model()
    contact = User.objects.create_user(username="larchcontact", password="x-unused-password-2026",
                                       first_name="Lee", last_name="Contact")
    ProviderContact.objects.create(provider=case.provider, user=contact, name="Lee Contact",
                                   email="lee@larchfield.example")
    contact = User.objects.get(pk=contact.pk)
    decision = DecisionReport.objects.get(case=case, kind="suspension", superseded=False)
    appeal = replies_services.lodge_appeal(user=contact, decision_id=decision.pk, grounds=S["APPEAL-GROUNDS"],
                                           files=[pdf(S["APPEAL-FILE-NAME"] + ".pdf", S["APPEAL-FILE-BODY"])])
    action = PlanAction.objects.filter(plan__case=case, plan__kind="improvement").exclude(status="complete").first()
    update = replies_services.send_action_update(
        user=contact, action_id=action.pk, progress=S["UPDATE-PROGRESS"], proposed_status="in_progress",
        files=[pdf(S["UPDATE-FILE-NAME"] + ".pdf", S["UPDATE-FILE-BODY"])])
    replies_services.query_action_update(user=cqm, update_id=update.pk, question=S["UPDATE-QUESTION"])
    senior = User.objects.create_user(username="dmt_independent", password="x-unused-password-2026",
                                      first_name="Indy", last_name="Senior")
    senior.groups.set(Group.objects.filter(name=roles.DMT_MEMBER))
    senior = User.objects.get(pk=senior.pk)
    for concern in concerns:
        concern_services.share_concern(user=safeguarding, concern_id=concern.pk, colleague=senior)
    replies_services.decide_appeal(user=senior, appeal_id=appeal.pk, outcome="upheld", reasons=S["APPEAL-REASONS"])


def pools(case) -> dict:
    """The replies objects of the scenario, for the sweep's URL parameters."""
    return {
        "updates": list(ActionUpdate.objects.filter(case=case).values_list("pk", flat=True)),
        "appeals": list(Appeal.objects.filter(case=case).values_list("pk", flat=True)),
        "decisions": list(DecisionReport.objects.filter(case=case, kind="suspension").values_list("pk", flat=True)),
        "evidence": list(AppealEvidence.objects.filter(appeal__case=case).values_list("pk", flat=True))
        + list(ActionUpdateEvidence.objects.filter(update__case=case).values_list("pk", flat=True)),
    }
