from django.apps import AppConfig


class ToolsConfig(AppConfig):
    """Commands that work across every app (the demo data, the benchmark): the top layer, so no app below
    needs to import the ones above it to offer them."""

    name = "tools"
    verbose_name = "Tools"
