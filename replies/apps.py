from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "replies"
    verbose_name = "Providers' replies: plan-action updates and appeals, and the council's answers"
