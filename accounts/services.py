"""Telling people things: in-app notifications plus email. Called from Celery tasks, never inline."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from .models import Notification


def email_person(*, user, message: str, link: str = "", headers=None) -> bool:
    """The email that goes with a notification (the same subject and text). False if the person has no email
    address. `headers` is for a caller that sends the email itself, e.g. a stable Message-ID."""
    if not user.email:
        return False
    EmailMessage(subject=f"{settings.SERVICE_NAME}: {message}"[:150],
                 body=f"{message}\n\n{settings.SITE_URL}{link}\n",
                 from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email], headers=headers or {}).send()
    return True


def notify(*, users, message: str, link: str = "", dedupe_key: str = "", case=None, email: bool = True) -> int:
    """Notify each user once per dedupe_key (a retried task does not notify twice). Returns how many were new.
    Pass the case a message is about: the home page shows it only to people cleared for the case then.
    `email=False`: in the app only, for a caller that has sent the email itself (deadline reminders)."""
    sent = 0
    for user in users:
        try:
            # The row and the email stand or fall together: if the mail server fails, the row is rolled
            # back and the retried task tries this person again.
            with transaction.atomic():
                Notification.objects.create(recipient=user, message=message, link=link, dedupe_key=dedupe_key,
                                            case=case)
                if email:
                    email_person(user=user, message=message, link=link)
        except IntegrityError:
            continue  # already told
        sent += 1
    return sent


def users_with_role(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()
