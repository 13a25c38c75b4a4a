"""Meeting outcomes become a choice that drives the next move; moves on the ladder get their own record.

Old free-text outcomes cannot be mapped reliably to a choice: the text is kept as the meeting's outcome notes and
the choice is left blank ("not recorded", which allows no move that needs a meeting's outcome). Each case's
`level_since` and its ladder moves (with any rationale for skipping a step) are rebuilt from the audit events
the moves wrote."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVE_KINDS = ["case_escalated", "case_stepped_down", "case_closed", "case_provider_failure"]
LEVEL_CHOICES = [('qa', 'Quality assurance meeting'), ('ppm', 'Provider performance meeting (PPM)'),
                 ('jimp', 'Joint inter-agency monitoring panel (JIMP)'),
                 ('sosg', 'Service operations support group (SOSG)'),
                 ('closed', 'Closed: back to normal contract monitoring'), ('provider_failure', 'Provider failure')]


def rebuild_from_audit(apps, schema_editor):
    EscalationCase = apps.get_model("escalation", "EscalationCase")
    LadderMove = apps.get_model("escalation", "LadderMove")
    Event = apps.get_model("audit", "Event")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="escalation", model="escalationcase").first()
    for case in EscalationCase.objects.all():
        case.level_since = case.opened_at
        case.save(update_fields=["level_since"])
    if content_type is None:
        return
    events = Event.objects.filter(content_type=content_type, kind__in=MOVE_KINDS).order_by("at", "id")
    for event in events:
        case = EscalationCase.objects.filter(pk=event.object_id).first()
        changes = event.changes or {}
        levels = changes.get("level") or [None, None]
        if case is None or len(levels) != 2:
            continue
        LadderMove.objects.create(case=case, transition=changes.get("transition", ""), from_level=levels[0] or "",
                                  to_level=levels[1] or "", reason=changes.get("reason", ""),
                                  skip_rationale=changes.get("skip_rationale") or "", moved_by_id=event.actor_id,
                                  moved_at=event.at)
        EscalationCase.objects.filter(pk=case.pk).update(level_since=event.at)


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0004_one_open_case_unless_failed'),
        ('audit', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name='casemeeting', old_name='outcome', new_name='outcome_notes'),
        migrations.AlterField(model_name='casemeeting', name='outcome_notes', field=models.TextField(blank=True)),
        migrations.AddField(
            model_name='casemeeting',
            name='outcome',
            field=models.CharField(blank=True, default='', choices=[('resolved', 'Issues resolved'), ('not_resolved', 'Issues not resolved'), ('satisfactory', 'Improvement satisfactory'), ('extend', 'Extend the timescales'), ('not_satisfactory', 'Improvement not satisfactory')], help_text='What the meeting decided; blank: not recorded', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='escalationcase',
            name='level_since',
            field=models.DateTimeField(default=django.utils.timezone.now, help_text='When the case reached its current level'),
        ),
        migrations.CreateModel(
            name='LadderMove',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('transition', models.CharField(max_length=40)),
                ('from_level', models.CharField(choices=LEVEL_CHOICES, max_length=20)),
                ('to_level', models.CharField(choices=LEVEL_CHOICES, max_length=20)),
                ('reason', models.TextField()),
                ('skip_rationale', models.TextField(blank=True)),
                ('moved_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ladder_moves', to='escalation.escalationcase')),
                ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='escalation.casemeeting')),
                ('moved_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['moved_at', 'id'],
            },
        ),
        migrations.RunPython(rebuild_from_audit, migrations.RunPython.noop),
    ]
