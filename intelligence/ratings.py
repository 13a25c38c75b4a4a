"""Reads a CSV of CQC ratings (the layout of CQC's care directory with ratings) and checks every row before
anything is saved: the same all-or-nothing shape as the provider register's import (ADR 0009), for another file.

`check_file()` is the quick look the upload page takes; `parse()`, run by the import's Celery task, checks every
row against the register and the ratings already held, in a fixed number of queries whatever the file's size."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from providers.importer import read_columns
from providers.models import Provider

from .models import KEY_QUESTIONS, CqcRating, Rating

COLUMNS = {
    "location_id": ["Location ID", "CQC Location ID (for office use only)", "CQC Location ID"],
    "overall": ["Location Latest Overall Rating", "Latest Overall Rating", "Overall rating"],
    "published_on": ["Publication Date", "Location Latest Rating Publication Date", "Rating publication date"],
}
OPTIONAL_COLUMNS = {name: [label, f"Key question: {label}", label.replace("-", " ")] for name, label in KEY_QUESTIONS}
MAX_ROWS = 20000
#: CQC's national file lists every location in England: the scheduled fetch takes more rows and skips the
#: locations that are not on the council's register instead of refusing them.
MAX_ROWS_SCHEDULED = 200000
MAX_BYTES_SCHEDULED = 100 * 1024 * 1024
MAX_BYTES = 10 * 1024 * 1024
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
RATING_WORDS = ", ".join(label for _, label in CqcRating.choices)


@dataclass
class RatingRow:
    line: int
    location_id: str
    errors: list[str] = field(default_factory=list)
    provider_id: int | None = None
    published_on: datetime.date | None = None
    ratings: dict = field(default_factory=dict)  # overall and the key questions present: field -> CqcRating value
    action: str = ""  # "add" or "unchanged"


@dataclass
class RatingsReport:
    file_errors: list[str] = field(default_factory=list)
    rows: list[RatingRow] = field(default_factory=list)
    rows_total: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def error_rows(self):
        return [r for r in self.rows if r.errors]


def _read(raw: bytes, max_rows: int = MAX_ROWS) -> tuple[RatingsReport, dict, list[dict]]:
    report = RatingsReport()
    max_bytes = MAX_BYTES_SCHEDULED if max_rows > MAX_ROWS else MAX_BYTES
    if len(raw) > max_bytes:
        report.file_errors.append(f"The CSV file must be smaller than {max_bytes // 2**20} MB")
        return report, {}, []
    mapping, rows = read_columns(raw, report, COLUMNS, OPTIONAL_COLUMNS, max_rows,
                                 f"The file has more than {max_rows:,} rows; split it and import each part")
    return report, mapping, rows


def check_file(raw: bytes, max_rows: int = MAX_ROWS) -> RatingsReport:
    """The file-level checks only: what the upload page can say at once."""
    return _read(raw, max_rows)[0]


def _date(text: str) -> datetime.date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse(raw: bytes, progress: Callable[[int, int], None] | None = None, every: int = 1000, *,
          skip_unknown: bool = False) -> RatingsReport:
    """Check every row: a location on the register, a real date not in the future, CQC's rating words, no location
    and date twice in the file, and no different rating for a location and date already held (a published rating
    does not change). The register and the ratings held are read once. With `skip_unknown` (the scheduled fetch
    of CQC's national file) a location not on the register is skipped, not an error."""
    report, mapping, rows = _read(raw, MAX_ROWS_SCHEDULED if skip_unknown else MAX_ROWS)
    if report.file_errors:
        return report
    wanted = {(row.get(mapping["location_id"]) or "").strip() for row in rows}
    providers = {}
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 5000):
        providers.update(Provider.objects.filter(cqc_location_id__in=wanted_list[start:start + 5000])
                         .values_list("cqc_location_id", "pk"))
    held = {}
    ids = sorted(providers.values())
    for start in range(0, len(ids), 5000):
        held.update(((p, d), o) for p, d, o in Rating.objects.filter(provider_id__in=ids[start:start + 5000])
                    .values_list("provider_id", "published_on", "overall"))
    today = timezone.localdate()
    seen: dict[tuple, int] = {}
    total = len(rows)
    for index, row in enumerate(rows):
        line = index + 2
        loc = (row.get(mapping["location_id"]) or "").strip()
        result = RatingRow(line=line, location_id=loc)
        if skip_unknown and loc and loc not in providers:
            result.action = "skip"
            report.rows.append(result)
            continue
        if None in row:
            result.errors.append("The row has more cells than the heading row")
        if not loc:
            result.errors.append("Enter the location ID")
        elif loc not in providers:
            result.errors.append(f"Location ID {loc} is not on the provider register")
        result.provider_id = providers.get(loc)
        date_text = (row.get(mapping["published_on"]) or "").strip()
        result.published_on = _date(date_text)
        if not date_text:
            result.errors.append("Enter the publication date")
        elif result.published_on is None:
            result.errors.append(f"Publication date '{date_text}' is not a real date: use day/month/year, "
                                 "for example 03/11/2026")
        elif result.published_on > today:
            result.errors.append("The publication date must be today or in the past")
        overall_text = (row.get(mapping["overall"]) or "").strip()
        overall = CqcRating.from_text(overall_text)
        if not overall_text:
            result.errors.append("Enter the overall rating")
        elif overall is None:
            result.errors.append(f"Overall rating '{overall_text}' is not a CQC rating ({RATING_WORDS})")
        result.ratings["overall"] = overall
        for name, label in KEY_QUESTIONS:
            text = (row.get(mapping[name]) or "").strip() if mapping.get(name) else ""
            value = CqcRating.from_text(text) if text else ""
            if value is None:
                result.errors.append(f"{label} rating '{text}' is not a CQC rating ({RATING_WORDS})")
            result.ratings[name] = value or ""
        key = (result.provider_id, result.published_on)
        if result.provider_id and result.published_on:
            if key in seen:
                result.errors.append(f"Location ID {loc} has a rating published on the same date on line {seen[key]}")
            else:
                seen[key] = line
            before = held.get(key)
            if before is None:
                result.action = "add"
            elif before == overall:
                result.action = "unchanged"
            elif overall:
                result.errors.append(
                    f"Location ID {loc} already has a rating of {CqcRating(before).label} published on that date: "
                    "a published rating does not change")
        report.rows.append(result)
        if progress is not None and (index + 1) % every == 0:
            progress(index + 1, total)
    if progress is not None:
        progress(total, total)
    return report
