"""Telling people things: in-app notifications plus email. Called from Celery tasks, never inline."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from .models import Notification


def notify(*, users, message: str, link: str = "", dedupe_key: str = "", case=None) -> int:
    """Notify each user once per dedupe_key (a retried task does not notify twice). Returns how many were new.
    Pass the case a message is about: the home page shows it only to people cleared for the case then."""
    sent = 0
    for user in users:
        try:
            # The row and the email stand or fall together: if the mail server fails, the row is rolled
            # back and the retried task tries this person again.
            with transaction.atomic():
                Notification.objects.create(recipient=user, message=message, link=link, dedupe_key=dedupe_key,
                                            case=case)
                if user.email:
                    send_mail(
                        subject=f"{settings.SERVICE_NAME}: {message}"[:150],
                        message=f"{message}\n\n{settings.SITE_URL}{link}\n",
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=[user.email],
                    )
        except IntegrityError:
            continue  # already told
        sent += 1
    return sent


def users_with_role(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()
