"""Emails of the providers' portal, sent from the worker (queued through core.outbox after the commit).

Emails to provider contacts carry no case details: only that there is something new, and a link to sign in
(docs/adr/0027-providers-portal.md). The invitation link is made here, on the worker, so its token is never
stored in the outbox.
"""

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.services import notify
from providers.models import ProviderContact

from .models import ProviderReply, ProviderShare

INVITATION_SUBJECT = "Your sign-in for the providers' portal"
NEW_ITEM_SUBJECT = "Something new in the providers' portal"


def _send(to: str, subject: str, body: str) -> None:
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]).send()


def invitation_link(account) -> str:
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    return settings.SITE_URL + reverse("portal:accept_invitation", args=[uid, token])


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_contact_invitation(self, contact_id: int) -> bool:
    contact = ProviderContact.objects.select_related("provider", "user").get(pk=contact_id)
    if not contact.is_active or contact.user is None:
        return False
    days = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
    body = (f"{settings.COUNCIL_NAME} has given you a sign-in to its providers' portal for {contact.provider}.\n\n"
            f"Choose your password here. The link works once and stops working after {days} days:\n"
            f"{invitation_link(contact.user)}\n\n"
            "Then you will set up an authenticator app on your phone for a security code.\n"
            f"Your username is: {contact.user.username}\n")
    try:
        _send(contact.email, INVITATION_SUBJECT, body)
    except OSError as exc:  # mail server down: try again later
        raise self.retry(exc=exc) from exc
    return True


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def tell_contacts_of_share(self, share_id: int) -> int:
    """Each active contact of the provider: that there is something new, and where to sign in. Nothing else."""
    share = ProviderShare.objects.select_related("provider").get(pk=share_id)
    link = settings.SITE_URL + reverse("portal:sign_in")
    body = f"There is something new for {share.provider} in the providers' portal. Sign in: {link}\n"
    emails = sorted(set(ProviderContact.objects.filter(provider_id=share.provider_id, is_active=True,
                                                       user__isnull=False).values_list("email", flat=True)))
    try:
        for email in emails:
            _send(email, NEW_ITEM_SUBJECT, body)
    except OSError as exc:
        raise self.retry(exc=exc) from exc
    return len(emails)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def tell_sharer_of_reply(self, reply_id: int) -> int:
    """The person who shared the concern: a reply has arrived (in the app and by email)."""
    reply = ProviderReply.objects.select_related("share__concern", "share__provider", "share__shared_by").get(
        pk=reply_id)
    share = reply.share
    try:
        return notify(users=[share.shared_by],
                      message=f"{share.provider} replied in the providers' portal on concern {share.concern.reference}",
                      link=reverse("concerns:detail", args=[share.concern_id]) + "#provider-replies",
                      dedupe_key=f"portal-reply:{reply.pk}", case=share.case)
    except OSError as exc:
        raise self.retry(exc=exc) from exc
