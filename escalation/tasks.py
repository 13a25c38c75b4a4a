from celery import shared_task
from django.urls import reverse

from accounts import roles
from accounts.services import notify, users_with_role
from audit.models import Event

from .models import EscalationCase


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def notify_case_team(self, case_id: int, event_id: int) -> int:
    """Tell the case owner and the CQMs that the case moved (in-app and email), once per event."""
    case = EscalationCase.objects.select_related("provider", "owner").get(pk=case_id)
    event = Event.objects.get(pk=event_id)
    try:
        return notify(
            users=set(users_with_role(roles.CQM)) | {case.owner},
            message=f"Case {case.reference} ({case.provider}): {event.summary}"[:300],
            link=reverse("escalation:detail", args=[case.pk]),
            dedupe_key=f"case-event:{event.pk}",
            case=case,
        )
    except OSError as exc:
        raise self.retry(exc=exc) from exc
