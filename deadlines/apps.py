from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "Deadlines and reminders"

    def ready(self):
        from . import signals  # noqa: F401
