"""What every page's navigation shows about the person's own work."""

from escalation.selectors import decisions_waiting
from intelligence import permissions as intelligence_rules
from placements import permissions as placement_rules


def waiting_for(request) -> list[dict]:
    """The suspension-route decisions waiting on the signed-in person, read once per request."""
    if not hasattr(request, "_decisions_waiting"):
        user = getattr(request, "user", None)
        request._decisions_waiting = decisions_waiting(user) if user is not None and user.is_authenticated else []
    return request._decisions_waiting


def menu(user) -> dict:
    """The menu entries of the apps beside the ladder, each shown to the people its own rule lets in (roles only:
    no query beyond the roles every page reads)."""
    return {"intelligence": intelligence_rules.can_see_suggestions(user) or intelligence_rules.can_see_visits(user),
            "placements": placement_rules.can_see_placements(user)}


def my_work(request):
    # Functions, so only a page that draws the navigation reads them (templates call them).
    user = getattr(request, "user", None)
    return {"waiting_count": lambda: len(waiting_for(request)),
            "menu_extra": lambda: menu(user) if user is not None and user.is_authenticated else {}}
