"""A GIN index for the concerns list's full-text search (concerns.selectors.CONCERN_TEXT through core.search).

PostgreSQL only: the SQLite demo searches with "contains" and has no use for it, so the operation does nothing
there. The index is not declared on the model (SQLite could not build it when it rebuilds the table), so the
migration state has nothing to compare and `makemigrations` stays clean. The expression is exactly the one
`core.search.search_vector("reference", "description")` writes, so the planner can use the index for it;
tests/test_full_text_search.py checks that it does.
"""

from django.db import migrations

INDEX = "concern_text_search"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON concerns_concern USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(reference, '') || ' ' || COALESCE(description, '')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("concerns", "0004_concern_list_order_index"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
