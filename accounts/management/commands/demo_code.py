"""Print a demo user's current security code, so `make run` users can sign in without an authenticator app.

Only with DEBUG on (the local settings of `make run`): on a real system the code would let anyone past the
second factor.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from accounts import mfa


class Command(BaseCommand):
    help = "Print the current security code for a demo user (local settings only: DEBUG must be on)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code only works with the local settings (DEBUG on): it would let anyone past "
                               "the second factor on a real system.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user called {username!r}.")
        device = mfa.confirmed_app(user)
        if device is None:
            raise CommandError(f"{username} has no authenticator app yet: they will set one up when they sign in.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        if totp.t() <= device.last_t:
            # That code was used to sign in already, and each code works once. The next time step's code is
            # accepted too (the app's clock may be a little ahead), so give that one.
            totp.time += device.step * (device.last_t - totp.t() + 1)
            if totp.t() - device.drift > int((time.time() - device.t0) // device.step) + device.tolerance:
                raise CommandError("The codes for the next 30 seconds have been used: try again in a moment.")
        self.stdout.write(f"{totp.token():0{device.digits}d}")
