"""An issued letter kept as issued on SQLite (make run); PostgreSQL has the same from 0004 (pgtrigger)."""

from django.db import migrations

from audit.triggers import SQLITE_LETTER, sqlite_installer, sqlite_remover


class Migration(migrations.Migration):

    dependencies = [
        ("letters", "0004_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(sqlite_installer(SQLITE_LETTER),
                             sqlite_remover(["letters_letter_issued_fixed", "letters_letter_issued_kept"]),
                             elidable=False),
    ]
