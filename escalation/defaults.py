"""docs/process.md, Route 2 step 5 (and Green step 4): who is notified by default; administrators can change it."""

NOTIFICATION_RECIPIENTS = [
    ("Basecamp (NW)", "Regional notification of the suspension"),
    ("CQC", "The regulator"),
    ("Care Management", "Including which reviews of current placements are needed"),
    ("Internal Finance", "Stop or resume payments for new placements"),
    ("Service users, relatives and advocates", "Form of notification agreed with the provider"),
]


def create_notification_recipients(model):
    for position, (name, description) in enumerate(NOTIFICATION_RECIPIENTS):
        model.objects.get_or_create(name=name, defaults={"description": description, "position": position})
