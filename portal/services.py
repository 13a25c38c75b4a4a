"""Every action of the providers' portal, one function each (docs/process.md, "The providers' portal").

Each checks the rule (core.rules.require), locks what it changes before reading it, writes the audit event in the
same transaction and queues emails through the outbox, so they go from the worker after the commit.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from concerns.models import Concern
from core import outbox
from core.dates import long_date
from core.evidence import atomic_with_files, save_checked_uploads
from core.rules import require
from providers.contacts import is_council_account
from providers.models import Provider, ProviderContact

from . import permissions as perms
from . import tasks
from .models import ProviderReply, ProviderShare, ReplyFile, SharedDocument

FORMER_ACCOUNT_REFUSAL = ("This email address belongs to a council account that is not a providers' portal sign-in. "
                          "Use the provider's own email address for this person")
STAFF_EMAIL_REFUSAL = ("This email address belongs to a member of council staff. A staff account cannot be a "
                       "provider contact: use the provider's own email address for this person")


def default_closing_date(today: datetime.date | None = None) -> datetime.date:
    """The default reply window: PROVIDER_REPLY_DAYS calendar days from today."""
    return (today or timezone.localdate()) + datetime.timedelta(days=settings.PROVIDER_REPLY_DAYS)


# --- contacts -------------------------------------------------------------------------------------------------

def _portal_user_for(email: str, name: str):
    """The sign-in for this email address: an existing portal sign-in is reused (a manager of several homes has
    one sign-in); a staff account is refused, and so is any other account of the council's (one with no role now,
    say a former member of staff: it was never a portal sign-in and its history is not a provider's); otherwise a
    new account with no role and no usable password (the invitation sets it)."""
    User = get_user_model()
    existing = User.objects.select_for_update().filter(email__iexact=email).order_by("pk")
    for user in existing:
        if is_council_account(user):
            raise ValidationError({"email": STAFF_EMAIL_REFUSAL})
    user = existing.first()
    if user is not None:
        if not ProviderContact.objects.filter(user=user).exists():
            raise ValidationError({"email": FORMER_ACCOUNT_REFUSAL})
        return user
    username = email.lower()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"email": STAFF_EMAIL_REFUSAL})
    first, _, last = name.strip().partition(" ")
    user = User(username=username, email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # made at the same moment for another provider: the form is sent again
        raise ValidationError({"email": "A sign-in for this email address was being made at the same moment. "
                                        "Send the form again"}) from exc
    return user


def add_contact(*, user, provider_id: int, name: str, email: str, job_title: str = "") -> ProviderContact:
    """Add a named contact to a provider and email them an invitation to set a password."""
    require(perms.can_manage_contacts, user)
    email = email.strip()
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        if ProviderContact.objects.filter(provider=provider, email__iexact=email).exists():
            raise ValidationError({"email": f"{email} is already a contact of {provider}"})
        account = _portal_user_for(email, name)
        try:
            with transaction.atomic():
                contact = ProviderContact.objects.create(provider=provider, user=account, name=name, email=email,
                                                         job_title=job_title, added_by=user)
        except IntegrityError as exc:
            raise ValidationError({"email": f"{email} is already a contact of {provider}"}) from exc
        record(actor=user, obj=provider, kind="provider_contact_added",
               summary=f"Added {name} as a providers' portal contact and sent an invitation",
               changes={"name": name, "email": email, "job_title": job_title})
        outbox.enqueue(tasks.send_contact_invitation, contact.pk)
    return contact


def _locked_contact(contact_id: int) -> ProviderContact:
    return ProviderContact.objects.select_for_update(of=("self",)).select_related("provider", "user").get(
        pk=contact_id)


def deactivate_contact(*, user, contact_id: int) -> ProviderContact:
    require(perms.can_manage_contacts, user)
    with transaction.atomic():
        contact = _locked_contact(contact_id)
        if not contact.is_active:
            raise ValidationError(f"{contact.name} is already deactivated")
        contact.is_active = False
        contact.save(update_fields=["is_active"])
        record(actor=user, obj=contact.provider, kind="provider_contact_deactivated",
               summary=f"Deactivated {contact.name} as a providers' portal contact",
               changes={"name": contact.name, "email": contact.email})
    return contact


def reinvite_contact(*, user, contact_id: int) -> ProviderContact:
    """Send a new invitation (a deactivated contact is made active again): the link in it sets a new password."""
    require(perms.can_manage_contacts, user)
    with transaction.atomic():
        contact = _locked_contact(contact_id)
        if contact.user is None:
            contact.user = _portal_user_for(contact.email, contact.name)
        elif is_council_account(contact.user):
            raise ValidationError(STAFF_EMAIL_REFUSAL)
        was_active = contact.is_active
        contact.is_active = True
        contact.save(update_fields=["is_active", "user"])
        record(actor=user, obj=contact.provider, kind="provider_contact_invited",
               summary=f"Sent {contact.name} a new providers' portal invitation"
                       + ("" if was_active else " and made them active again"),
               changes={"name": contact.name, "email": contact.email})
        outbox.enqueue(tasks.send_contact_invitation, contact.pk)
    return contact


def set_contact_password(*, account, password: str, token: str) -> None:
    """The contact chose their password through the invitation link. The link's token is checked again once the
    account is locked: it stops working when the password changes, so of two sends of the same link only the first
    sets a password."""
    with transaction.atomic():
        account = get_user_model().objects.select_for_update().get(pk=account.pk)
        if (is_council_account(account) or not default_token_generator.check_token(account, token)
                or not ProviderContact.objects.filter(user=account, is_active=True).exists()):
            raise PermissionDenied("This invitation no longer works")
        account.set_password(password)
        account.save(update_fields=["password"])
        record(actor=account, obj=account, kind="portal_password_set",
               summary="Set a password for the providers' portal from an invitation")


# --- sharing --------------------------------------------------------------------------------------------------

def share_with_provider(*, user, concern_id: int, kind: str, title: str, summary: str,
                        closes_on: datetime.date | None = None, files=()) -> ProviderShare:
    """Share a concern with its provider: they see `title` and `summary` (never the concern's own text), and may
    reply until `closes_on` (by default PROVIDER_REPLY_DAYS days from today)."""
    today = timezone.localdate()
    closes_on = closes_on or default_closing_date(today)
    with atomic_with_files():
        concern = Concern.objects.select_for_update(of=("self",)).select_related("provider", "case").get(
            pk=concern_id)
        require(perms.can_share_with_provider, user, concern)
        if closes_on <= today:
            raise ValidationError({"closes_on": "The closing date must be after today"})
        if kind == ProviderShare.Kind.ACCURACY and not files:
            raise ValidationError({"documents": "Attach the draft document or report the provider is to check"})
        if not ProviderContact.objects.filter(provider=concern.provider, is_active=True, user__isnull=False).exists():
            raise ValidationError(f"{concern.provider} has no active contact in the providers' portal yet: add one "
                                  "from the provider's page first")
        share = ProviderShare.objects.create(concern=concern, provider=concern.provider, case=concern.case,
                                             kind=kind, title=title, summary=summary, closes_on=closes_on,
                                             shared_by=user)
        documents = save_checked_uploads(lambda: SharedDocument(share=share), list(files), uploaded_by=user,
                                         field="documents")
        details = {"title": title, "what is asked": share.get_kind_display(), "closes_on": closes_on,
                   "documents": [d.original_name for d in documents]}
        asked = share.get_kind_display().lower()
        summary_line = (f"Shared with {concern.provider} in the providers' portal ({asked}); "
                        f"replies close on {long_date(closes_on)}")
        record(actor=user, obj=concern, kind="shared_with_provider", summary=summary_line, changes=details)
        if concern.case_id:
            record(actor=user, obj=concern.case, kind="shared_with_provider",
                   summary=f"Concern {concern.reference}: {summary_line[0].lower()}{summary_line[1:]}",
                   changes=details)
        outbox.enqueue(tasks.tell_contacts_of_share, share.pk)
    return share


def send_reply(*, user, share_id: int, text: str, files=()) -> ProviderReply:
    """A provider contact replies in writing, with evidence files, before the window closes. After it closes
    nothing is saved and the refusal gives the date it closed."""
    with atomic_with_files():
        share = ProviderShare.objects.select_for_update(of=("self",)).select_related("concern", "provider").get(
            pk=share_id)
        require(perms.can_reply, user, share)
        if not share.is_open:
            raise ValidationError(share.closed_message)
        reply = ProviderReply.objects.create(share=share, text=text, sent_by=user)
        stored = save_checked_uploads(lambda: ReplyFile(reply=reply), list(files), uploaded_by=user, field="files")
        details = {"share": share.title, "files": [f"{f.original_name} (sha256 {f.sha256})" for f in stored]}
        summary_line = f"{share.provider} replied in the providers' portal ({len(stored)} file(s))"
        record(actor=user, obj=share.concern, kind="provider_replied", summary=summary_line, changes=details)
        if share.case_id:
            record(actor=user, obj=share.case, kind="provider_replied",
                   summary=f"Concern {share.concern.reference}: {summary_line}", changes=details)
        outbox.enqueue(tasks.tell_sharer_of_reply, reply.pk)
    return reply


def mark_reply_read(*, user, reply_id: int) -> ProviderReply:
    with transaction.atomic():
        reply = ProviderReply.objects.select_for_update(of=("self",)).select_related(
            "share__concern", "share__provider").get(pk=reply_id)
        require(perms.can_mark_reply_read, user, reply)
        if reply.read_at is not None:
            return reply  # already read: nothing changes, nothing is recorded twice
        reply.read_by, reply.read_at = user, timezone.now()
        reply.save(update_fields=["read_by", "read_at"])
        record(actor=user, obj=reply.share.concern, kind="provider_reply_read",
               summary=f"Marked read the reply from {reply.share.provider} sent {long_date(reply.sent_at)}")
    return reply
