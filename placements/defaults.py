"""The placing authorities a new installation starts with: the council itself and its neighbours. Administrators
change the list in the admin; an import's "Placing authority" column is checked against it."""

PLACING_AUTHORITIES = [
    ("Northfield Borough Council", "NBC", True),
    ("Eastbrook Borough Council", "EBC", False),
    ("Westmoor District Council", "WDC", False),
    ("Southgate City Council", "SCC", False),
    ("Riverside County Council", "RCC", False),
]


def create_placing_authorities(model):
    for name, code, this_council in PLACING_AUTHORITIES:
        model.objects.get_or_create(code=code, defaults={"name": name, "is_this_council": this_council})
