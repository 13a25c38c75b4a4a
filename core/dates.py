"""Dates in words people read (messages, history, emails), in the same style as the pages: "23 November 2026",
"23 November 2026 at 2:05pm" (config/formats). Machines get ISO dates instead (CSV, JSON, calendar feeds)."""

import datetime

from django.utils import formats, timezone


def long_date(value: datetime.date | None) -> str:
    """23 November 2026 (a date-time is taken in local time first)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "DATE_FORMAT")


def long_datetime(value: datetime.datetime | None) -> str:
    """23 November 2026 at 2:05pm, in local time."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def from_iso(value):
    """A date kept as ISO text in a JSON snapshot, back as a date (anything else unchanged)."""
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value
