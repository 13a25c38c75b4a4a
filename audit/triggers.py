"""Database triggers that refuse changes, installed by migrations (django-pgtrigger, PostgreSQL only).

pgtrigger's own installation template begins every trigger function with a check of the session setting
`pgtrigger.ignore`, so that code can switch a trigger off for one transaction. Any database role can set a
session setting, so with that check the app's own role could turn these triggers off. `Refuse` installs the
same trigger without the check: nothing short of the table's owner (ALTER TABLE ... DISABLE TRIGGER) or a
superuser turns it off. See docs/adr/0020-append-only-audit-in-the-database.md.
"""

import pgtrigger
from pgtrigger import compiler


class UnswitchableTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's v1 installation template, less the `pgtrigger.ignore` switch. Migrations reference this
    class, so never edit the template: add a new class instead."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class Refuse(pgtrigger.Trigger):
    """A BEFORE trigger whose `func` raises to refuse the change (or returns NEW/OLD to let it through)."""

    when = pgtrigger.Before

    def compile(self, model):
        compiled = super().compile(model)
        return compiler.Trigger(name=compiled.name, sql=UnswitchableTriggerSql(**compiled.sql.kwargs))


def refuse_always(name: str, message: str) -> Refuse:
    """Refuse every UPDATE and DELETE on the table, with `message` (no quotes in it)."""
    if "'" in message:
        raise ValueError("A trigger message cannot contain a quote")
    return Refuse(name=name, operation=pgtrigger.Update | pgtrigger.Delete,
                  func=f"RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = '{message}';")


# An issued or withdrawn letter: only the status, delivery and withdrawal columns may change, and only as the
# UPDATE trigger below allows. SQLite (below) names the fixed columns; PostgreSQL fixes every other column.
LETTER_FIXED_COLUMNS = ["id", "reference", "case_id", "kind", "addressee", "free_text", "meeting_date",
                        "created_by_id", "created_at", "template_id", "issued_by_id", "issued_at", "pdf", "sha256"]
LETTER_WITHDRAWAL_COLUMNS = ["withdrawn_reason", "withdrawn_by_id", "withdrawn_at"]


def _row(prefix, columns):
    return "ROW(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


# Every column not named here is fixed once issued, including any column added later.
LETTER_CHANGEABLE = "ARRAY['status', 'delivered_on', 'withdrawn_reason', 'withdrawn_by_id', 'withdrawn_at']"

LETTER_UPDATE_FUNC = f"""
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - {LETTER_CHANGEABLE}) IS DISTINCT FROM (to_jsonb(OLD) - {LETTER_CHANGEABLE}) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'Letter ' || OLD.reference || ' has been issued: it is never changed';
    END IF;
    IF OLD.delivered_on IS NOT NULL AND NEW.delivered_on IS DISTINCT FROM OLD.delivered_on THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'Letter ' || OLD.reference || ' already has a delivery date: it is never changed';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status = 'issued' AND NEW.status = 'withdrawn') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'Letter ' || OLD.reference || ' cannot go from ' || OLD.status || ' to ' || NEW.status;
    END IF;
    IF {_row("NEW", LETTER_WITHDRAWAL_COLUMNS)} IS DISTINCT FROM {_row("OLD", LETTER_WITHDRAWAL_COLUMNS)}
       AND NOT (OLD.status = 'issued' AND NEW.status = 'withdrawn') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'Letter ' || OLD.reference || ': the withdrawal is recorded only when it is withdrawn';
    END IF;
    RETURN NEW;
"""

LETTER_DELETE_FUNC = """
    IF OLD.status = 'draft' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'Letter ' || OLD.reference || ' has been issued: it is never deleted';
"""


def letter_triggers() -> list[Refuse]:
    return [
        Refuse(name="letter_issued_fixed", operation=pgtrigger.Update, func=LETTER_UPDATE_FUNC),
        Refuse(name="letter_issued_kept", operation=pgtrigger.Delete, func=LETTER_DELETE_FUNC),
    ]


# --- SQLite (make run) ---------------------------------------------------------------------------------------
# pgtrigger installs nothing on SQLite, so the demo database gets the same refusals as plain SQLite triggers,
# created by RunPython in the migrations (they do nothing on PostgreSQL).


def sqlite_refuse_always(table: str, message: str) -> list[str]:
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for op in ("UPDATE", "DELETE")]


def _changed(columns) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


WITHDRAWING = "(OLD.status = 'issued' AND NEW.status = 'withdrawn')"
SQLITE_LETTER = [
    "CREATE TRIGGER IF NOT EXISTS letters_letter_issued_fixed BEFORE UPDATE ON letters_letter "
    f"WHEN OLD.status <> 'draft' AND ({_changed(LETTER_FIXED_COLUMNS)} "
    "OR (OLD.delivered_on IS NOT NULL AND NEW.delivered_on IS NOT OLD.delivered_on) "
    f"OR (NEW.status IS NOT OLD.status AND NOT {WITHDRAWING}) "
    f"OR (({_changed(LETTER_WITHDRAWAL_COLUMNS)}) AND NOT {WITHDRAWING})) "
    "BEGIN SELECT RAISE(ABORT, 'An issued letter is never changed'); END",
    "CREATE TRIGGER IF NOT EXISTS letters_letter_issued_kept BEFORE DELETE ON letters_letter "
    "WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, 'An issued letter is never deleted'); END",
]


def sqlite_installer(statements: list[str]):
    """A RunPython function that runs `statements` on SQLite only."""

    def install(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return install


def sqlite_remover(names: list[str]):
    def remove(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for name in names:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")

    return remove
