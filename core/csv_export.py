"""Every CSV file the app writes goes through these writers, which neutralise spreadsheet formulas.

A spreadsheet treats a cell starting with `=`, `+`, `-` or `@` (and, in some programs, a tab or carriage return
before one) as a formula, so a provider called `=HYPERLINK("http://…","Click")` would become a live link or
worse in the council's Excel. Every text cell that starts with one of those characters gets a single quote in
front, which spreadsheets show as plain text. Real numbers (int, float, Decimal) are numeric by construction
and are written as they are, so a negative number stays a number; anything else is text and is checked, even
text that looks like a number ("-1" in a text field is written as '-1).
"""

import csv
import decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if value is None:
        return ""
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer, with every cell neutralised."""

    def __init__(self, f, *args, **kwargs):
        self._writer = csv.writer(f, *args, **kwargs)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row):
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter, with every cell (header too) neutralised."""

    def __init__(self, f, fieldnames, restval="", extrasaction="raise", dialect="excel", **fmtparams):
        super().__init__(f, fieldnames, restval=restval, extrasaction=extrasaction, dialect=dialect, **fmtparams)
        self.writer = SafeWriter(f, dialect, **fmtparams)


def csv_response(filename: str) -> HttpResponse:
    """An empty CSV download to write into with SafeWriter or SafeDictWriter."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
