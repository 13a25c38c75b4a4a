"""Background work queued by concern services with transaction.on_commit. Thin: load, then call."""

from celery import shared_task
from django.urls import reverse

from accounts import roles
from accounts.services import notify, users_with_role

from .models import Concern


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def notify_safeguarding_leads(self, concern_id: int) -> int:
    """A safeguarding-restricted concern needs advice: tell every safeguarding lead."""
    concern = Concern.objects.select_related("provider").get(pk=concern_id)
    try:
        return notify(
            users=users_with_role(roles.SAFEGUARDING_LEAD),
            message=f"Safeguarding advice needed on restricted concern {concern.reference}",
            link=reverse("concerns:detail", args=[concern.pk]),
            dedupe_key=f"advice-needed:{concern.pk}",
        )
    except OSError as exc:  # mail server down: retry, the dedupe key stops repeats
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def notify_further_action(self, concern_id: int) -> int:
    """A concern went to further action: the CQMs decide whether to open an escalation case."""
    concern = Concern.objects.select_related("provider").get(pk=concern_id)
    try:
        return notify(
            users=users_with_role(roles.CQM),
            message=f"Concern {concern.reference} about {concern.provider} needs further action",
            link=reverse("concerns:detail", args=[concern.pk]),
            dedupe_key=f"further-action:{concern.pk}",
        )
    except OSError as exc:
        raise self.retry(exc=exc) from exc
