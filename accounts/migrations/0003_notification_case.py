import django.db.models.deletion
from django.db import migrations, models


def link_existing_notifications(apps, schema_editor):
    """Notifications written before this field: find their case from what the dedupe key names (a case's audit
    event, or a deadline's reminder), so the home page checks clearance for them too."""
    Notification = apps.get_model("accounts", "Notification")
    Event = apps.get_model("audit", "Event")
    Deadline = apps.get_model("deadlines", "Deadline")
    ContentType = apps.get_model("contenttypes", "ContentType")
    case_type = ContentType.objects.filter(app_label="escalation", model="escalationcase").first()
    for note in Notification.objects.filter(case__isnull=True).exclude(dedupe_key="").iterator():
        prefix, _, rest = note.dedupe_key.partition(":")
        case_id = None
        if prefix == "case-event" and case_type is not None and rest.isdigit():
            object_id = Event.objects.filter(pk=int(rest), content_type=case_type).values_list(
                "object_id", flat=True).first()
            case_id = int(object_id) if object_id and object_id.isdigit() else None
        elif prefix == "reminder" and rest.split(":")[0].isdigit():
            case_id = Deadline.objects.filter(pk=int(rest.split(":")[0])).values_list("case_id", flat=True).first()
        if case_id:
            Notification.objects.filter(pk=note.pk).update(case_id=case_id)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_roles"),
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("deadlines", "0001_initial"),
        ("escalation", "0004_one_open_case_unless_failed"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="case",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="escalation.escalationcase"),
        ),
        migrations.RunPython(link_existing_notifications, migrations.RunPython.noop),
    ]
