from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "People placed: reviews, closure plans and the register of suspensions"
