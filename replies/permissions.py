"""Who may do what with providers' updates and appeals, as rules (core.rules): `rule(user, obj)`, where `obj` is an
update, an appeal or a case. A provider contact is a signed-in person with no role and an active ProviderContact
row (providers.contacts); they act only for their own providers. Council staff act only on cases they are cleared
for (concerns.permissions.is_cleared_for_case)."""

from accounts.permissions import has_a_role, is_caseworker, is_dass, is_dmt_member
from concerns.permissions import RESTRICTED_CASE_MESSAGE, is_cleared_for_case
from core.rules import permission, when, who
from providers.contacts import is_provider_contact, may_see_provider

is_contact = who("a contact of the provider, in the providers' portal")(is_provider_contact)


def _case_of(obj):
    return getattr(obj, "case", obj)


@when("the case is about one of their providers", refusal="No such page")
def for_their_provider(user, obj) -> bool:
    case = _case_of(obj)
    return case is not None and may_see_provider(user, case.provider_id)


@when("they are cleared for the case (when it holds safeguarding-restricted concerns)",
      refusal=RESTRICTED_CASE_MESSAGE)
def cleared_for_case(user, obj) -> bool:
    return obj is not None and is_cleared_for_case(user, _case_of(obj))


@when("the case is open", refusal="This case has ended, so nothing more is recorded on it")
def case_open(user, obj) -> bool:
    case = _case_of(obj)
    return case is not None and case.is_open


@when("the update is waiting for the council", refusal="This update has already been answered")
def update_is_pending(user, update) -> bool:
    return update is not None and update.status == "pending"


@when("the appeal is waiting for a decision", refusal="This appeal has already been decided")
def appeal_is_open(user, appeal) -> bool:
    return appeal is not None and appeal.status == "open"


@when("they took no part in the decision appealed against",
      refusal="You took part in the suspension decision this appeal is against, so you cannot decide the appeal: "
              "ask a DASS or DMT member who took no part in it")
def took_no_part(user, appeal) -> bool:
    from .participation import took_part_in

    return appeal is not None and not took_part_in(user, appeal.decision)


can_send_update = permission("Send an update on a plan action (providers' portal)",
                             is_contact & for_their_provider & case_open)
can_appeal = permission("Appeal against a suspension of placements (providers' portal)",
                        is_contact & for_their_provider)
can_see_replies = permission("See providers' updates and appeals on a case", has_a_role & cleared_for_case)
#: The Contracts and Quality Team answers updates, as it records plan progress (escalation's can_manage_plan).
can_review_update = permission("Accept or query a provider's update on a plan action",
                               is_caseworker & update_is_pending & case_open & cleared_for_case)
#: Senior officers: the DASS or a DMT member, who took no part in the suspension decision.
can_decide_appeal = permission("Decide a provider's appeal against a suspension",
                               (is_dass | is_dmt_member) & appeal_is_open & cleared_for_case & took_no_part)
