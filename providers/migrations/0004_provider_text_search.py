"""A GIN index for the provider register's full-text search (home.selectors.PROVIDER_TEXT through core.search).

PostgreSQL only: the SQLite demo searches with "contains" and has no use for it, so the operation does nothing
there. The index is not declared on the model (SQLite could not build it when it rebuilds the table), so the
migration state has nothing to compare and `makemigrations` stays clean. The expression is exactly the one
`core.search.search_vector("name", "town", "postcode", "cqc_location_id")` writes, so the planner can use the
index for it; tests/test_full_text_search.py checks that it does.
"""

from django.db import migrations

INDEX = "provider_text_search"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON providers_provider USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(name, '') || ' ' || COALESCE(town, '') || ' ' || "
    "COALESCE(postcode, '') || ' ' || COALESCE(cqc_location_id, '')))"
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
        ("providers", "0003_import_job"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
