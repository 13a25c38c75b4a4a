"""What every page's navigation shows about the person's own work."""

from escalation.selectors import decisions_waiting


def waiting_for(request) -> list[dict]:
    """The suspension-route decisions waiting on the signed-in person, read once per request."""
    if not hasattr(request, "_decisions_waiting"):
        user = getattr(request, "user", None)
        request._decisions_waiting = decisions_waiting(user) if user is not None and user.is_authenticated else []
    return request._decisions_waiting


def my_work(request):
    # A function, so only a page that draws the navigation reads it (templates call it).
    return {"waiting_count": lambda: len(waiting_for(request))}
