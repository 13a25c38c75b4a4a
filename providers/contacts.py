"""Who is a provider contact, and for which providers: the one rule every portal page and service asks.

A provider contact is a signed-in user with at least one active `ProviderContact` row. Staff are people with a
role; a provider contact has none, and an account is never both (the portal's services refuse to make a contact
of a user with a role, and staff sign-in refuses a provider contact).
"""

from functools import wraps

from django.http import Http404

from .models import ProviderContact


def provider_ids_for(user) -> frozenset[int]:
    """The providers this person may see in the portal (empty for staff and for anonymous people); cached on the
    user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_portal_provider_ids", None)
    if cached is None:
        cached = frozenset(ProviderContact.objects.filter(user=user, is_active=True)
                           .values_list("provider_id", flat=True))
        user._portal_provider_ids = cached
    return cached


def is_provider_contact(user) -> bool:
    return bool(provider_ids_for(user))


def may_see_provider(user, provider_id: int) -> bool:
    return provider_id in provider_ids_for(user)


def contact_required(view):
    """A portal view: only for a provider contact; anyone else gets 404 (the page does not exist for them)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_provider_contact(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper
