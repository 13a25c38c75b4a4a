"""django-axes with a second, higher limit per address across usernames (password spraying).

Axes keeps its own lock: AXES_FAILURE_LIMIT failures for one username from one address (AXES_LOCKOUT_PARAMETERS).
It stores one AccessAttempt row per username, address and browser, with a running failure count. An attacker
trying one password against many usernames stays under that limit, so this handler also adds up the failures
of every row from the address within the cool-off window (AXES_COOLOFF_TIME, 30 minutes) and locks the address
when they reach AXES_IP_FAILURE_LIMIT (20).
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


def client_ip_address(request) -> str | None:
    """The address failures are counted against (AXES_CLIENT_IP_CALLABLE).

    Behind a reverse proxy every request comes from the proxy, so with SIGN_IN_PROXY_COUNT = n (the number of
    proxies in front that each append to X-Forwarded-For) the n-th address from the right of that header is
    used: the one the nearest trusted proxy saw. With 0 (the default) only REMOTE_ADDR counts, and the header,
    which anyone can send, is ignored.
    """
    count = settings.SIGN_IN_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def address_failures(request) -> int:
    ip_address = getattr(request, "axes_ip_address", None)
    if not ip_address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address,
                                            attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_is_locked(request) -> bool:
    locked = address_failures(request) >= settings.AXES_IP_FAILURE_LIMIT
    if locked:
        request.axes_address_locked = True  # the lock-out page says it is this network, not the account
    return locked


class AddressLimitHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return settings.AXES_LOCK_OUT_AT_FAILURE and address_is_locked(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False) or not settings.AXES_LOCK_OUT_AT_FAILURE:
            return
        if self.is_whitelisted(request, credentials) or not address_is_locked(request):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send("axes", request=request, username=get_client_username(request, credentials),
                             ip_address=request.axes_ip_address)
