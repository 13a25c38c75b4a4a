"""The visit frequencies the programme starts from and the quality audit's five domains and sixteen standards
(intelligence.reference; docs/process.md, "Monitoring visits" and "Quality audits")."""

from django.db import migrations


def create(apps, schema_editor):
    from intelligence import reference

    reference.create(apps.get_model("intelligence", "VisitFrequency"), apps.get_model("intelligence", "AuditDomain"),
                     apps.get_model("intelligence", "AuditStandard"))


class Migration(migrations.Migration):
    dependencies = [("intelligence", "0002_visits_audits_meetings")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
