"""Render one example of each letter from the demo data into docs/letters/ (make letters). Nothing is saved."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from escalation.models import EscalationCase
from letters.models import Letter, LetterKind, LetterTemplate
from letters.rendering import render_html, render_pdf

EXAMPLES = {
    LetterKind.AT_RISK: ("Cedar Grange", "Staffing fell below safe levels on four nights in October, and two "
                                         "medication errors were not reported to the council."),
    LetterKind.SUSPENSION: ("Maple Lodge", "The improvement plan agreed on Route 1 has not been complied with, "
                                           "and people living at the home remain at risk of harm."),
    LetterKind.LIFTING_SUSPENSION: ("Thornbury Nursing Home", "The Strategic Provider Risk Group is satisfied that "
                                                              "sustainable progress has been made in every area."),
    LetterKind.QA_INVITATION: ("Harbour House", "We would like to discuss the complaints received this autumn."),
}


class Command(BaseCommand):
    help = "Render example letters from the demo data to docs/letters/."

    def handle(self, *args, **options):
        out = Path(settings.BASE_DIR) / "docs" / "letters"
        out.mkdir(parents=True, exist_ok=True)
        for kind, (provider_name, text) in EXAMPLES.items():
            case = EscalationCase.objects.filter(provider__name=provider_name).order_by("-pk").first()
            if case is None:
                self.stderr.write(f"No demo case for {provider_name}: run `manage.py seed_demo` first")
                continue
            provider = case.provider
            letter = Letter(reference="LET-EXAMPLE", case=case, kind=kind, free_text=text,
                            meeting_date=timezone.localdate() + timezone.timedelta(days=14),
                            addressee=f"{provider.registered_manager}\n{provider.name}\n"
                                      + "\n".join(p.strip() for p in provider.address.split(","))
                                      + f"\n{provider.postcode}")
            with transaction.atomic():
                pdf = render_pdf(render_html(letter, LetterTemplate.latest(kind)))
            path = out / f"{kind}.pdf"
            path.write_bytes(pdf)
            self.stdout.write(f"wrote {path} ({len(pdf):,} bytes)")
