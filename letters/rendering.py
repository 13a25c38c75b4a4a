"""Letter -> HTML -> PDF. Pure functions: no database writes, so previews and issues render the same way.

The HTML is built from the letter markup (letters/markup.py), never from template text passed through as HTML,
and WeasyPrint is given LetterAssetFetcher, which serves the letterhead logo and refuses every other address:
a letter loads no file, web address or data URI, whatever its text says.
"""

import io
import logging

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.dates import from_iso, long_date

from . import markup
from .models import LetterSettings, LetterTemplate

logger = logging.getLogger(__name__)

LOGO_URL = "letter-asset:logo"
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
LOGO_MAX_BYTES = 2 * 1024 * 1024
# The letter CSS uses installed system fonts (Liberation Sans) through fontconfig and no @font-face, so no
# font file is ever fetched. A bundled font would be added here by name, e.g. {"letter-asset:font-regular": path}.
FONT_FILES: dict = {}


class RefusedFetch(ValueError):
    """WeasyPrint catches this, logs a warning and leaves the resource out."""


class LetterAssetFetcher(URLFetcher):
    """The only URL fetcher letters use: `letter-asset:logo` is the letterhead logo's stored bytes; every other
    address (file:, http:, https:, data:, ftp:, relative paths, anything) is refused without being opened.
    SVG logos are drawn through the same fetcher, so what an SVG names is refused too."""

    def __init__(self, letter_settings: LetterSettings | None = None):
        super().__init__(allowed_protocols=("letter-asset",), allow_redirects=False, fail_on_errors=False)
        self._settings = letter_settings
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url == LOGO_URL:
            logo = self._logo()
            if logo:
                data, content_type = logo
                return URLFetcherResponse(LOGO_URL, body=data, headers={"Content-Type": content_type})
        elif url in FONT_FILES:  # pragma: no cover - no bundled fonts today
            return URLFetcherResponse(url, body=FONT_FILES[url].read_bytes(), headers={"Content-Type": "font/ttf"})
        self.refused.append(url)
        logger.warning("Letter rendering refused to load %s", url[:100])
        raise RefusedFetch(f"Letters load nothing but their own letterhead; refused {url[:100]}")

    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))

    def __call__(self, url):
        return self.fetch(url)

    def _logo(self):
        if self._settings is None or not self._settings.logo:
            return None
        from core.evidence import sniff

        try:
            with self._settings.logo.open("rb") as handle:
                data = handle.read(LOGO_MAX_BYTES + 1)
        except (OSError, ValueError):
            logger.warning("The letterhead logo could not be read")
            return None
        if len(data) > LOGO_MAX_BYTES:
            logger.warning("The letterhead logo is larger than %s bytes; it is left out", LOGO_MAX_BYTES)
            return None
        content_type = sniff(io.BytesIO(data))
        if content_type == "image/svg" or (content_type == "text/xml" and b"<svg" in data[:4096]):
            content_type = "image/svg+xml"
        if content_type not in LOGO_TYPES:
            logger.warning("The letterhead logo is a %s, not a PNG, JPEG or SVG; it is left out", content_type)
            return None
        return data, content_type


def _fmt(day) -> str:
    """23 November 2026: the pages' date style (a date kept as ISO text in a report's snapshot too)."""
    return long_date(from_iso(day)) if day else ""


def merge_values(letter, settings: LetterSettings, issue_date) -> dict:
    """The value of every merge field, as plain text (or a markup.Table): nothing here is HTML."""
    case = letter.case
    provider = case.provider
    plan = case.improvement_plan() or case.current_plan()
    plan_rows = tuple((a.area_of_concern, a.action, a.get_owner_display(), _fmt(a.due_date), a.get_status_display())
                      for a in (plan.actions.all() if plan else []))
    report = case.reports.filter(kind="lifting").order_by("-version").first()
    conditions = tuple((c["condition"], _fmt(c["review_date"])) for c in (report.conditions if report else []))
    # An appeal's outcome letter is linked from the appeal (the replies app, a higher layer): read through the
    # reverse relation, so rendering imports nothing about appeals.
    appeal = getattr(letter, "appeal", None) if letter.pk else None
    return {
        "appeal_lodged_on": _fmt(appeal.lodged_at) if appeal else "",
        "appeal_decided_on": _fmt(appeal.decided_at) if appeal else "",
        "appeal_outcome": appeal.get_status_display() if appeal else "",
        "appeal_reasons": appeal.reasons if appeal else "",
        "council_name": settings.council_name,
        "provider_name": provider.name,
        "provider_address": f"{provider.address}, {provider.postcode}",
        "cqc_location_id": provider.cqc_location_id,
        "registered_manager": provider.registered_manager or "The Registered Manager",
        "case_reference": case.reference,
        "letter_date": _fmt(issue_date),
        "free_text": letter.free_text,
        "improvement_plan": markup.Table(("Area of concern", "Action", "Owner", "Due", "Status"), plan_rows,
                                         "(no improvement plan actions recorded)"),
        "plan_review_date": _fmt(plan.review_date) if plan else "",
        "route_deadline": _fmt(case.route_deadline),
        "conditions": markup.Table(("Condition", "Review date"), conditions, "(none)"),
        "oversight_until": _fmt(case.oversight_until),
        "meeting_date": _fmt(letter.meeting_date),
        "signatory_name": settings.signatory_name,
        "signatory_title": settings.signatory_title,
    }


def body_html(template: LetterTemplate, values: dict) -> str:
    return markup.render_body(template.body, values)


def render_html(letter, template: LetterTemplate, *, issue_date=None, draft: bool = False) -> str:
    settings = LetterSettings.current()
    issue_date = issue_date or timezone.localdate()
    values = merge_values(letter, settings, issue_date)
    body = mark_safe(body_html(template, values))  # nosec B308 B703 # every tag is written by markup.py
    return render_to_string("letters/letter.html", {
        # The subject is plain text, escaped once by the template (heading and PDF title alike).
        "settings": settings, "letter": letter, "subject": markup.render_text(template.subject, values),
        "body": body,
        "issue_date": issue_date, "draft": draft, "template": template,
        "addressee_lines": [ln for ln in letter.addressee.splitlines() if ln.strip()],
        "logo_uri": LOGO_URL if settings.logo else "",
    })


def render_pdf(document_html: str, *, letter_settings: LetterSettings | None = None) -> bytes:
    """Tagged PDF (PDF/UA-1) so screen readers can read issued letters. Nothing is fetched but the logo."""
    fetcher = LetterAssetFetcher(letter_settings or LetterSettings.current())
    return HTML(string=document_html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")


def render_pdf_and_count(document_html: str, *, letter_settings: LetterSettings | None = None) -> tuple[bytes, int]:
    """render_pdf, and how many pages it made (for packs and records that say so)."""
    fetcher = LetterAssetFetcher(letter_settings or LetterSettings.current())
    document = HTML(string=document_html, url_fetcher=fetcher).render()
    return document.write_pdf(pdf_variant="pdf/ua-1"), len(document.pages)
