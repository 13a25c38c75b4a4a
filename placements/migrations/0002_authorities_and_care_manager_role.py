"""The council itself and its neighbouring placing authorities (editable in the admin afterwards), and the
"Care manager" role as a Django group (roles are groups: docs/adr/0002-roles-as-groups.md)."""

from django.db import migrations

from placements.defaults import PLACING_AUTHORITIES, create_placing_authorities

CARE_MANAGER = "Care manager"  # accounts.roles.CARE_MANAGER, written out: a migration keeps its own copy


def forwards(apps, schema_editor):
    create_placing_authorities(apps.get_model("placements", "PlacingAuthority"))
    apps.get_model("auth", "Group").objects.get_or_create(name=CARE_MANAGER)


def backwards(apps, schema_editor):
    apps.get_model("placements", "PlacingAuthority").objects.filter(
        code__in=[code for _, code, _ in PLACING_AUTHORITIES], placements__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("placements", "0001_initial"), ("accounts", "0002_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
