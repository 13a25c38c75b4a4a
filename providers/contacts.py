"""Who is a provider contact, and for which providers: the one rule every portal page and service asks.

A provider contact is a signed-in user with at least one active `ProviderContact` row. Staff are people with a
role; a provider contact has none, and an account is never both (the portal's services refuse to make a contact
of a user with a role, and staff sign-in refuses a provider contact).
"""

from functools import wraps

from django.http import Http404

from accounts.roles import roles_of

from .models import ProviderContact


def provider_ids_for(user) -> frozenset[int]:
    """The providers this person may see in the portal (empty for staff and for anonymous people); cached on the
    user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_portal_provider_ids", None)
    if cached is None:
        if is_council_account(user):  # a contact row on a staff account (say, added in the admin) counts for nothing
            cached = frozenset()
        else:
            cached = frozenset(ProviderContact.objects.filter(user=user, is_active=True)
                               .values_list("provider_id", flat=True))
        user._portal_provider_ids = cached
    return cached


def is_council_account(user) -> bool:
    """A member of council staff: a role, or Django's staff or superuser flag. Such an account is never a provider
    contact, whatever contact rows it has."""
    return bool(roles_of(user)) or user.is_staff or user.is_superuser


def is_provider_contact(user) -> bool:
    return bool(provider_ids_for(user))


def has_portal_account(user) -> bool:
    """A portal sign-in: a signed-in user with no role and any `ProviderContact` row, active or not. The portal's
    boundary keeps such a person inside /portal/ even after every row is deactivated (they then see nothing
    there)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_portal_account", None)
    if cached is None:
        # Staff (anyone with a role) never have a portal sign-in: their roles are read for every page anyway, so
        # this costs them no query of its own. For the others, one query answers this and provider_ids_for.
        if roles_of(user):
            cached = False
        else:
            rows = list(ProviderContact.objects.filter(user=user).values_list("provider_id", "is_active"))
            staff_flags = is_council_account(user)
            user._portal_provider_ids = frozenset(pk for pk, active in rows if active and not staff_flags)
            cached = bool(rows)
        user._portal_account = cached
    return cached


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
