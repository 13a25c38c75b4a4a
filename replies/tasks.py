"""Emails about providers' updates and appeals, sent by the worker after the action committed (core.outbox).

Emails to a provider's contacts carry no case details at all: only that there is an update, and where to sign in.
Email is not a safe place for what the council and a provider say about a suspension or a safeguarding matter,
and an address on a provider's list may be out of date."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse

from accounts import roles
from accounts.services import notify
from core.dates import long_date
from providers.models import ProviderContact

PROVIDER_EMAIL_SUBJECT = "Providers' portal: there is an update"


def portal_link() -> str:
    """Where a provider contact signs in: the portal's home page (which asks them to sign in first)."""
    try:
        path = reverse("portal:home")
    except NoReverseMatch:
        path = "/portal/"
    return f"{settings.SITE_URL}{path}"


def provider_email_body() -> str:
    return f"There is an update in the providers' portal. Sign in: {portal_link()}\n"


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def email_provider_contacts(self, provider_id: int) -> int:
    """Tell each active contact of the provider that there is an update (no details). Returns how many emails."""
    addresses = sorted(set(ProviderContact.objects.filter(provider_id=provider_id, is_active=True)
                           .exclude(email="").values_list("email", flat=True)))
    try:
        for address in addresses:  # one email each: contacts of one provider do not see each other's addresses
            EmailMessage(subject=PROVIDER_EMAIL_SUBJECT, body=provider_email_body(),
                         from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
    except OSError as exc:
        raise self.retry(exc=exc) from exc
    return len(addresses)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def tell_owner_of_appeal(self, appeal_id: int) -> int:
    """Tell the case owner (in the app and by email) that the provider appealed, and by when it must be decided."""
    from . import permissions as perms
    from .models import Appeal

    appeal = Appeal.objects.select_related("case__provider", "case__owner", "decision").get(pk=appeal_id)
    case = appeal.case
    link = reverse("replies:appeal_detail", args=[appeal.pk])
    try:
        told = notify(users=[case.owner],
                      message=f"Case {case.reference} ({case.provider}): the provider appealed against the suspension "
                              f"of placements; arrange for it to be decided by {long_date(appeal.decide_by)}"[:300],
                      link=link, dedupe_key=f"appeal-lodged:{appeal.pk}", case=case)
        # And the people who may decide it: DASS and DMT members who took no part in the decision and are cleared
        # for the case (the same rule the appeal page asks).
        deciders = [user for user in get_user_model().objects.filter(
                        groups__name__in=[roles.DASS, roles.DMT_MEMBER], is_active=True).distinct().order_by("pk")
                    if user.pk != case.owner_id and perms.can_decide_appeal(user, appeal)]
        return told + notify(users=deciders,
                             message=f"Case {case.reference} ({case.provider}): an appeal against the suspension of "
                                     f"placements waits for a decision by someone who took no part in it, by "
                                     f"{long_date(appeal.decide_by)}"[:300],
                             link=link, dedupe_key=f"appeal-to-decide:{appeal.pk}", case=case)
    except OSError as exc:
        raise self.retry(exc=exc) from exc
