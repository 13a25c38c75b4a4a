from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import start_session_clock

        def _start_clock(sender, request, user, **kwargs):
            if request is not None and hasattr(request, "session"):
                start_session_clock(request)

        user_logged_in.connect(_start_clock, dispatch_uid="accounts.start_session_clock", weak=False)
