from django.db import migrations

from letters.defaults import create_default_templates


def create(apps, schema_editor):
    """Version 1 of the appeal outcome letter (and of any other kind that has none yet)."""
    create_default_templates(apps.get_model("letters", "LetterTemplate"))


class Migration(migrations.Migration):
    dependencies = [("letters", "0008_more_kinds")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
