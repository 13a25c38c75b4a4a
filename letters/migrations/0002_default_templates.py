from django.db import migrations

from letters.defaults import create_default_templates


def create(apps, schema_editor):
    create_default_templates(apps.get_model("letters", "LetterTemplate"))


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
