"""The second factor: an authenticator app (TOTP) plus single-use recovery codes, on django-otp's devices.

Every account must have a confirmed TOTP device; until the session is verified by one of the user's devices,
accounts.middleware.SecondFactorMiddleware sends every request to the code step (or to set-up).
"""

import base64
import io
from dataclasses import dataclass
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import services as audit

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def _apps(user):
    """The user's app devices that this module made: set-up names them and confirms them with a first code.
    A device made any other way (another name, or never confirmed) opens nothing."""
    return TOTPDevice.objects.filter(user=user, confirmed=True, name=APP_DEVICE_NAME)


def _recovery_devices(user):
    """Likewise for recovery codes: only the confirmed device named by new_recovery_codes()."""
    return StaticDevice.objects.filter(user=user, confirmed=True, name=RECOVERY_DEVICE_NAME)


def confirmed_app(user) -> TOTPDevice | None:
    return _apps(user).order_by("pk").first()


def has_second_factor(user) -> bool:
    return _apps(user).exists()


def is_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and getattr(user, "otp_device", None) is not None)


def recovery_device(user) -> StaticDevice | None:
    return _recovery_devices(user).order_by("pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__in=_recovery_devices(user)).count()


def pending_app(user) -> TOTPDevice:
    """The unconfirmed device being set up: the same key until it is confirmed, so reloading keeps the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def key_base32(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// link as an SVG QR code in a data: URI (the CSP allows img-src data:)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class CodeCheck:
    device: object | None = None
    wait_until: datetime | None = None  # set when wrong codes have been throttled

    @property
    def ok(self) -> bool:
        return self.device is not None


def _normalise(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def _throttled_until(devices) -> datetime | None:
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(data["locked_until"])
    return max(waits) if waits else None


def check_code(user, token: str, *, app: TOTPDevice | None = None) -> CodeCheck:
    """Verify a code from the app (6 digits) or an unused recovery code (consumed when it works).

    With `app` (set-up: the device being confirmed), only that device's codes count, never a recovery code.

    The app's last accepted time step is kept, so a code cannot be used twice. Wrong codes are throttled by
    django-otp (1, 2, 4, 8... seconds); while either device is throttled no code is tried at all.
    """
    token = _normalise(token)
    setting_up = app is not None
    with transaction.atomic():
        app = TOTPDevice.objects.select_for_update().get(pk=app.pk) if app else (
            _apps(user).select_for_update().order_by("pk").first())
        # Recovery codes stand in for the app: with no app set up, they open nothing (set-up comes first).
        recovery = None if setting_up or app is None else (
            _recovery_devices(user).select_for_update().order_by("pk").first())
        devices = [d for d in (app, recovery) if d is not None]
        wait = _throttled_until(devices)
        if wait is not None:
            return CodeCheck(wait_until=wait)
        # The app's codes are all digits, of its length; recovery codes are 8 letters and digits.
        device = app if app is not None and token.isdigit() and len(token) == app.digits else recovery
        if device is not None and token and device.verify_token(token):
            return CodeCheck(device=device)
        if device is None or not token:
            # Nothing to check the code against: still count it as a wrong attempt.
            for d in devices[:1]:
                d.throttle_increment()
        return CodeCheck()


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones; the caller shows them once."""
    device = recovery_device(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.throttle_reset()
    return codes


def sign_in_with(request, device) -> None:
    """Mark the session as verified by `device`, with a new session key (the password step had its own)."""
    request.session.cycle_key()
    otp_login(request, device)


def confirm_app(request, device: TOTPDevice, token: str) -> tuple[CodeCheck, list[str]]:
    """Set-up: the first code from the app confirms the device and creates the recovery codes."""
    user = request.user
    with transaction.atomic():
        check = check_code(user, token, app=device)
        if not check.ok:
            return check, []
        device.refresh_from_db()
        device.confirmed = True
        device.name = APP_DEVICE_NAME
        device.save(update_fields=["confirmed", "name"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = new_recovery_codes(user)
        audit.record(actor=user, obj=user, kind="two_factor_on",
                     summary="Turned on two-factor authentication with an authenticator app")
    sign_in_with(request, device)
    return check, codes


def replace_recovery_codes(user) -> list[str]:
    with transaction.atomic():
        codes = new_recovery_codes(user)
        audit.record(actor=user, obj=user, kind="recovery_codes_replaced",
                     summary="Created new recovery codes; the old ones no longer work")
    return codes


def seconds_until(moment: datetime) -> int:
    return max(1, int((moment - timezone.now()).total_seconds() + 0.999))

