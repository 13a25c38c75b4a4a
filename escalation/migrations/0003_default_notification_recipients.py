from django.db import migrations

from escalation.defaults import create_notification_recipients


def create(apps, schema_editor):
    create_notification_recipients(apps.get_model("escalation", "NotificationRecipient"))


class Migration(migrations.Migration):
    dependencies = [("escalation", "0002_route")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
