"""Write audit events. Called by every service that creates or changes something."""

import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import Event


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "size"):  # uploaded file
        return value.name
    return value


def record(*, actor, obj, kind: str, summary: str = "", changes: dict | None = None) -> Event:
    """Record an event about `obj`. Must run inside the transaction that makes the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic() with the change it records")
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        summary=summary[:300],
        changes=_plain(changes or {}),
    )


def record_many(*, actor, kind: str, entries, batch_size: int = 2000) -> list[Event]:
    """`record()` for many objects at once (a bulk import): one event each, `entries` being (obj, summary,
    changes) tuples, written a batch to one INSERT. Must run inside the transaction that makes the changes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must be called inside transaction.atomic() with the changes it records")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    events = [Event(actor=actor, kind=kind,
                    content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                    object_id=str(obj.pk), object_repr=str(obj)[:200], summary=summary[:300],
                    changes=_plain(changes or {}))
              for obj, summary, changes in entries]
    return Event.objects.bulk_create(events, batch_size=batch_size)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in after if before.get(k) != after.get(k)}


def events_for(obj):
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    ).select_related("actor")
