"""Reads a CSV in the CQC care directory's column layout and validates every row before anything is saved.

`check_file()` is the quick look the upload page takes (encoding, headings, row count); `parse()`, run by the
import's Celery task, checks every row with the same rules as manual entry, reading the register once."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from .forms import ProviderForm
from .models import Provider

# Our field -> the column headings accepted for it (the CQC directory's own heading first).
COLUMNS = {
    "cqc_location_id": ["CQC Location ID (for office use only)", "CQC Location ID", "Location ID"],
    "name": ["Name", "Location name"],
    "address": ["Address"],
    "postcode": ["Postcode"],
    "service_types": ["Service types"],
    "registered_manager": ["Registered manager"],
}
OPTIONAL_COLUMNS = {"town": ["Town", "Town/City"]}
MAX_ROWS = 20000


@dataclass
class RowResult:
    line: int
    location_id: str
    name: str
    action: str = ""  # "create" / "update"
    errors: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    file_errors: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    rows_total: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def error_rows(self):
        return [r for r in self.rows if r.errors]


def _find_header(headers: list[str], names: list[str]) -> str | None:
    normal = {h.strip().lower(): h for h in headers}
    for n in names:
        if n.lower() in normal:
            return normal[n.lower()]
    return None


def _town_from_address(address: str) -> str:
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return parts[-1] if len(parts) > 1 else ""


class ImportRowForm(ProviderForm):
    """ProviderForm's checks for one row of the file. A location ID already on the register updates that provider,
    so the register's unique location ID is not checked here with one query a row: `parse()` reads the register's
    IDs once, and a location ID twice in the file is an error on its second line."""

    one_time = False  # built by the importer, never sent by a person: no form token

    def validate_unique(self):
        pass


def read_columns(raw: bytes, report, required: dict, optional: dict, max_rows: int,
                 too_many: str) -> tuple[dict, list[dict]]:
    """Decode a UTF-8 CSV file, find its columns (each a list of accepted headings) and read its rows, putting any
    reason the file cannot be imported at all into `report.file_errors` and the number of rows into
    `report.rows_total`. Returns (column key -> heading found, rows); empty when the file is refused. The CQC
    ratings import reads its files the same way."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_errors.append("The file is not a UTF-8 CSV file. Save it as 'CSV UTF-8' and try again")
        return {}, []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        headers = reader.fieldnames or []
    except csv.Error as exc:
        report.file_errors.append(f"The file could not be read as CSV: {exc}")
        return {}, []
    mapping = {}
    for key, names in required.items():
        found = _find_header(headers, names)
        if found is None:
            report.file_errors.append(f"The file has no '{names[0]}' column")
        mapping[key] = found
    for key, names in optional.items():
        mapping[key] = _find_header(headers, names)
    if report.file_errors:
        return mapping, []
    try:
        rows = list(reader)
    except csv.Error as exc:
        report.file_errors.append(f"The file could not be read as CSV (line {reader.line_num}): {exc}")
        return mapping, []
    report.rows_total = len(rows)
    if len(rows) > max_rows:
        report.file_errors.append(too_many)
    elif not rows:
        report.file_errors.append("The file has no rows under the heading row")
    return mapping, rows


def _read(raw: bytes) -> tuple[ImportReport, dict, list[dict]]:
    """Decode the file and find its columns; the report carries any reason the file cannot be imported at all."""
    report = ImportReport()
    mapping, rows = read_columns(raw, report, COLUMNS, OPTIONAL_COLUMNS, MAX_ROWS,
                                 f"The file has more than {MAX_ROWS} rows; split it and import each part")
    return report, mapping, rows


def check_file(raw: bytes) -> ImportReport:
    """The file-level checks only (no row is validated): what the upload page can say at once."""
    return _read(raw)[0]


def parse(raw: bytes, progress: Callable[[int, int], None] | None = None, every: int = 1000) -> ImportReport:
    """Validate every row. `progress(rows_done, rows_total)` is called every `every` rows and at the end."""
    report, mapping, rows = _read(raw)
    if report.file_errors:
        return report
    existing = set(Provider.objects.values_list("cqc_location_id", flat=True))
    seen: dict[str, int] = {}
    total = len(rows)
    for index, row in enumerate(rows):
        line = index + 2  # the heading is line 1
        data = {key: (row.get(col) or "").strip() for key, col in mapping.items() if col}
        if not data.get("town"):
            data["town"] = _town_from_address(data.get("address", ""))
        result = RowResult(line=line, location_id=data["cqc_location_id"], name=data["name"])
        if None in row:
            result.errors.append("The row has more cells than the heading row")
        loc = data["cqc_location_id"]
        if loc in seen:
            result.errors.append(f"Location ID {loc} is also on line {seen[loc]}")
        elif loc:
            seen[loc] = line
        form = ImportRowForm(data=data)
        if not form.is_valid():
            for field_name, errs in form.errors.items():
                label = form.fields[field_name].label if field_name in form.fields else ""
                result.errors.extend(f"{label}: {e}" if label else e for e in errs)
        result.action = "update" if loc in existing else "create"
        result.data = data
        report.rows.append(result)
        if progress is not None and (index + 1) % every == 0:
            progress(index + 1, total)
    if progress is not None:
        progress(total, total)
    return report
