"""The append-only triggers for SQLite (make run); PostgreSQL has them from 0002 (pgtrigger)."""

from django.db import migrations

from audit.triggers import sqlite_installer, sqlite_refuse_always, sqlite_remover

STATEMENTS = (sqlite_refuse_always("audit_event", "Audit events are never changed or deleted")
              + sqlite_refuse_always("django_fsm_log_statelog", "State change logs are never changed or deleted"))
NAMES = [f"{table}_no_{op}" for table in ("audit_event", "django_fsm_log_statelog") for op in ("update", "delete")]


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(sqlite_installer(STATEMENTS), sqlite_remover(NAMES), elidable=False),
    ]
