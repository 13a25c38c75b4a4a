#!/usr/bin/env python
"""The release step, run before the web and worker processes start (deploy/systemd/provider-concerns-release.service,
or the container's `release` command):

1. `check --deploy --fail-level WARNING`: the production settings are complete and safe;
2. `migrate --noinput`, under a PostgreSQL advisory lock, so two machines releasing at once take turns
   (the second one finds nothing left to do);
3. `collectstatic --noinput`: hashed, compressed static files in STATIC_ROOT (each machine has its own).

Exits non-zero if any step fails, so systemd does not start the web process on a half-released machine.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Migrations need a role that may change the schema; the web and worker processes can use one that may not
# (docs/adr/0020-append-only-audit-in-the-database.md). MIGRATE_DATABASE_URL, if set, is used here instead.
if os.environ.get("MIGRATE_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["MIGRATE_DATABASE_URL"]

# "pcmigrate" in ASCII: the same for every machine of this app, different from the beat lock.
MIGRATE_LOCK_KEY = 0x70636D696772


def main() -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("check", deploy=True, fail_level="WARNING")
    with connection.cursor() as cursor:
        print("release: waiting for the migration lock", flush=True)
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
    try:
        call_command("migrate", interactive=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
    call_command("collectstatic", interactive=False, verbosity=1)
    print("release: done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
