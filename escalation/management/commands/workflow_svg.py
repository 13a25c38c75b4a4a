from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from escalation import workflow


class Command(BaseCommand):
    help = "Write docs/workflow.dot and docs/workflow.svg from the escalation state machine."

    def handle(self, *args, **options):
        docs = Path(settings.BASE_DIR) / "docs"
        (docs / "workflow.dot").write_text(workflow.dot_source())
        svg = workflow.svg()
        if not svg:
            self.stderr.write("Graphviz `dot` is not installed (apt-get install graphviz); wrote the .dot only")
            return
        (docs / "workflow.svg").write_text(svg)
        self.stdout.write(f"Wrote {docs / 'workflow.dot'} and {docs / 'workflow.svg'}")
