from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Providers' portal: right of reply, plan updates and appeals"
