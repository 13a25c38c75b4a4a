"""HTML -> PDF for letters. Pure functions: no database writes, so previews and issues render the same way."""

import html
import re
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import HTML

from .merge_fields import TOKEN
from .models import LetterSettings, LetterTemplate


def _table(headers, rows) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def merge_values(letter, settings: LetterSettings, issue_date) -> dict:
    case = letter.case
    provider = case.provider
    plan = case.improvement_plan() or case.current_plan()
    plan_rows = [(a.area_of_concern, a.action, a.get_owner_display(), f"{a.due_date:%-d %B %Y}", a.get_status_display())
                 for a in (plan.actions.all() if plan else [])]
    report = case.reports.filter(kind="lifting").order_by("-version").first()
    conditions = [(c["condition"], c["review_date"]) for c in (report.conditions if report else [])]

    def fmt(day):
        return f"{day:%-d %B %Y}" if day else ""

    return {
        "council_name": settings.council_name,
        "provider_name": provider.name,
        "provider_address": f"{provider.address}, {provider.postcode}",
        "cqc_location_id": provider.cqc_location_id,
        "registered_manager": provider.registered_manager or "The Registered Manager",
        "case_reference": case.reference,
        "letter_date": fmt(issue_date),
        "free_text": letter.free_text,
        "improvement_plan": mark_safe(_table(["Area of concern", "Action", "Owner", "Due", "Status"], plan_rows))
        if plan_rows else "(no improvement plan actions recorded)",
        "plan_review_date": fmt(plan.review_date) if plan else "",
        "route_deadline": fmt(case.route_deadline),
        "conditions": mark_safe(_table(["Condition", "Review date"], conditions)) if conditions else "(none)",
        "oversight_until": fmt(case.oversight_until),
        "meeting_date": fmt(letter.meeting_date),
        "signatory_name": settings.signatory_name,
        "signatory_title": settings.signatory_title,
    }


def _fill(text: str, values: dict, block: bool) -> str:
    def sub(match):
        value = values.get(match.group(1), "")
        if hasattr(value, "__html__"):
            return str(value)
        escaped = html.escape(str(value))
        return escaped.replace("\n", "<br>") if block else escaped
    return TOKEN.sub(sub, text)


def body_html(template: LetterTemplate, values: dict) -> str:
    """Paragraphs split on blank lines; a paragraph that is only a table field becomes that table."""
    parts = []
    for paragraph in re.split(r"\n\s*\n", template.body.strip()):
        filled = _fill(paragraph.strip(), values, block=True)
        parts.append(filled if filled.startswith("<table") else f"<p>{filled}</p>")
    return "\n".join(parts)


def render_html(letter, template: LetterTemplate, *, issue_date=None, draft: bool = False) -> str:
    settings = LetterSettings.current()
    issue_date = issue_date or timezone.localdate()
    values = merge_values(letter, settings, issue_date)
    return render_to_string("letters/letter.html", {
        "settings": settings, "letter": letter, "subject": _fill(template.subject, values, block=False),
        "body": mark_safe(body_html(template, values)), "issue_date": issue_date, "draft": draft,
        "template": template, "addressee_lines": [ln for ln in letter.addressee.splitlines() if ln.strip()],
        "logo_uri": _logo_uri(settings),
    })


def _logo_uri(settings) -> str:
    """The logo as a file:// address WeasyPrint can read; nothing is fetched over the network."""
    if not settings.logo:
        return ""
    try:
        return Path(settings.logo.path).resolve().as_uri()
    except (ValueError, NotImplementedError, FileNotFoundError):
        return ""


def render_pdf(document_html: str) -> bytes:
    """Tagged PDF (PDF/UA-1) so screen readers can read issued letters."""
    return HTML(string=document_html, base_url="/").write_pdf(pdf_variant="pdf/ua-1")
