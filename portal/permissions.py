"""Who may do what with the providers' portal, as rules (core.rules). Staff rules take the provider, the concern or
the reply; the provider-side rules take the shared item and ask providers.contacts (the one rule of which
providers a contact may see)."""

from accounts.permissions import has_a_role, is_administrator, is_caseworker, is_cqm
from concerns.permissions import is_cleared
from core.rules import permission, when, who
from providers.contacts import is_provider_contact, may_see_provider

NOT_RESTRICTED_REFUSAL = ("This concern is safeguarding-restricted, so nothing about it can be shared with the "
                          "provider. Write to the provider outside the portal if the safeguarding lead agrees.")


@when("the concern is not safeguarding-restricted", refusal=NOT_RESTRICTED_REFUSAL)
def concern_not_restricted(user, concern) -> bool:
    return concern is not None and not concern.restricted


@when("they are a named contact of its provider", refusal="You cannot reply to this")
def contact_of_its_provider(user, share) -> bool:
    return share is not None and may_see_provider(user, share.provider_id)


@when("they are cleared for its concern", refusal="This concern is safeguarding-restricted")
def cleared_for_concern_of(user, thing) -> bool:
    """A shared item or a reply: cleared for the concern it is about (concerns.permissions.is_cleared)."""
    share = getattr(thing, "share", thing)
    return share is not None and is_cleared(user, share.concern)


is_portal_contact = who("a named contact of a provider")(is_provider_contact)

can_manage_contacts = permission("Add, deactivate and re-invite a provider's portal contacts",
                                 is_cqm | is_administrator)
can_share_with_provider = permission("Share a concern with its provider in the providers' portal",
                                     is_caseworker & is_cleared & concern_not_restricted)
can_see_provider_replies = permission("See what was shared with a provider and its replies",
                                      has_a_role & cleared_for_concern_of)
can_mark_reply_read = permission("Mark a provider's reply read", is_caseworker & cleared_for_concern_of)
can_reply = permission("Reply in the providers' portal (provider contacts)",
                       is_portal_contact & contact_of_its_provider)
