"""A case's whole record as one ZIP: a chronology PDF (everything recorded on the case and its concerns, and the
audit trail, in date order), every issued letter as issued, every evidence file, meeting document and
notification copy as uploaded, and a manifest with each file's SHA-256 so the copy can be shown to be complete
and unaltered. Built only for someone who may read the whole case (oversight.services.export_case_record)."""

import hashlib
import io
import tempfile
import zipfile

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename

from audit.services import events_for
from core.csv_export import SafeDictWriter
from letters.models import Letter, LetterSettings
from letters.rendering import LOGO_URL, render_pdf_and_count

SPOOL_BYTES = 32 * 1024 * 1024  # kept in memory up to this size, then on disk


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name from what someone uploaded: no folders, no odd characters, not too long."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name = get_valid_filename(name)
    except Exception:  # Django refuses names that become empty or "." / ".."
        name = fallback
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:80]}.{ext}"
    return name[:90]


def chronology(case, concerns) -> list:
    """Every audit event on the case and the cases it was reopened from (a reopened case carries on the old
    one), on its concerns and on their risk assessments, oldest first."""
    from concerns.permissions import case_lineage_ids
    from escalation.models import EscalationCase

    events = []
    for earlier in EscalationCase.objects.filter(pk__in=case_lineage_ids(case)):
        events.extend(events_for(earlier))
    for concern in concerns:
        events.extend(events_for(concern))
        for assessment in concern.risk_assessments.all():
            events.extend(events_for(assessment))
    events.sort(key=lambda e: (e.at, e.pk))
    return events


def build(case, user):
    """Returns (a file to stream, the manifest rows). The caller has checked the person may read the case."""
    manifest = []
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    used = set()

    def add(path: str, read, description: str):
        base, n = path, 2
        while path.lower() in used:  # two uploads with the same name (Windows ignores case when unzipping)
            stem, dot, ext = base.rpartition(".")
            path = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
            n += 1
        try:
            data = read() if callable(read) else read
        except (OSError, ValueError):  # the file store lost it: say so, and export the rest
            manifest.append({"file": path, "what": f"{description}. MISSING: not found in the file store",
                             "bytes": "", "sha256": ""})
            return
        used.add(path.lower())
        archive.writestr(path, data, compress_type=zipfile.ZIP_STORED if _compressed(path) else None)
        manifest.append({"file": path, "what": description, "bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()})

    concerns = list(case.concerns.select_related("provider", "logged_by").prefetch_related(
        "advice", "risk_assessments__assessed_by", "evidence", "monitoring"))
    # (Prefetched, so the chronology's risk assessment events need no query a concern.)
    letters = list(case.letters.select_related("created_by", "issued_by").order_by("created_at", "pk"))
    meetings = list(case.meetings.select_related("recorded_by").prefetch_related("documents"))
    notifications = list(case.route_notifications.select_related("recipient", "done_by"))
    settings = LetterSettings.current()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        html = render_to_string("oversight/chronology.html", {
            "case": case, "user": user, "settings": settings, "logo_uri": LOGO_URL if settings.logo else "",
            "built_at": timezone.now(), "concerns": concerns, "meetings": meetings, "letters": letters,
            "ladder_moves": case.ladder_moves.select_related("moved_by"),
            "plans": case.plans.prefetch_related("actions__progress_notes__written_by", "reviews__recorded_by"),
            "reports": case.reports.prefetch_related("sign_offs__signed_by").select_related("author"),
            "sprg_decisions": case.sprg_decisions.select_related("meeting", "recorded_by"),
            "visits": case.visits.all(), "notifications": notifications,
            "deadlines": case.deadlines.order_by("due_date", "pk"), "events": chronology(case, concerns),
        })
        pdf, _pages = render_pdf_and_count(html, letter_settings=settings)
        add(f"{case.reference}-chronology.pdf", pdf, "Chronology of the case, its concerns and its audit trail")
        for letter in letters:
            if letter.status != Letter.Status.DRAFT and letter.pdf:
                add(f"letters/{safe_name(letter.reference)}.pdf", lambda f=letter.pdf: _read(f),
                    f"{letter.get_kind_display()}, issued {letter.issued_at:%d %B %Y}"
                    + (" (later withdrawn)" if letter.status == Letter.Status.WITHDRAWN else ""))
        for concern in concerns:
            for item in concern.evidence.all():
                add(f"evidence/{concern.reference}/{safe_name(item.original_name)}", lambda f=item.file: _read(f),
                    f"Evidence on {concern.reference}, uploaded {item.uploaded_at:%d %B %Y}")
        for meeting in meetings:
            for item in meeting.documents.all():
                add(f"meetings/{meeting.meeting_date:%Y-%m-%d}-{meeting.level}/{safe_name(item.original_name)}",
                    lambda f=item.file: _read(f),
                    f"Document of the {meeting.get_level_display()} on {meeting.meeting_date:%d %B %Y}")
        for note in notifications:
            if note.copy:
                add(f"notifications/{safe_name(note.copy_name or note.copy.name)}", lambda f=note.copy: _read(f),
                    f"Copy of the notification to {note.recipient}")
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, fieldnames=["file", "what", "bytes", "sha256"])
        writer.writeheader()
        writer.writerows(manifest)
        archive.writestr("manifest.csv", buffer.getvalue().encode("utf-8-sig"))
    spool.seek(0)
    return spool, manifest


COMPRESSED = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".zip", ".docx", ".xlsx", ".pptx", ".mp4", ".m4a", ".heic")


def _compressed(path: str) -> bool:
    """Files that are compressed already are stored as they are: deflating them again gains nothing."""
    return path.lower().endswith(COMPRESSED)


def _read(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()
