"""Demo data for the providers' portal (called by `seed_demo` once the escalation history exists): two provider
contacts with the demo password and an authenticator app, one shared concern with a reply and one awaiting a reply.
Built through the services, as a person would."""

import datetime

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from concerns import services as concern_services
from concerns.models import Concern
from escalation.models import EscalationCase, Level
from providers.models import Provider, ProviderContact

from . import services

# (username, first name, last name, job title): `provider` manages a home with a case at PPM or above.
CONTACTS = [("provider", "Paula", "Provider", "Registered manager"),
            ("provider2", "Peter", "Pemberton", "Registered manager")]


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = (b"%PDF-1.4\n%" + text.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _contact(manager, provider, username, first, last, job_title, password_hash):
    """Added by the CQM like any contact (the invitation email is queued), then given the demo password and an
    authenticator app as if they had followed the invitation."""
    email = f"{username}@{provider.cqc_location_id.replace('-', '')}.example.org"
    contact = services.add_contact(user=manager, provider_id=provider.pk, name=f"{first} {last}", email=email,
                                   job_title=job_title)
    account = contact.user
    get_user_model().objects.filter(pk=account.pk).update(username=username, first_name=first, last_name=last,
                                                          password=password_hash)
    TOTPDevice.objects.create(user=account, name=mfa.APP_DEVICE_NAME, confirmed=True)
    return get_user_model().objects.get(pk=account.pk)


def _shareable_concern(cqm, provider, today):
    concern = (Concern.objects.filter(provider=provider, restricted=False).exclude(provider_shares__isnull=False)
               .order_by("-received_on", "-pk").first())
    if concern is None:
        concern = concern_services.log_concern(user=cqm, provider_id=provider.pk, data={
            "source": "contracts", "received_on": today - datetime.timedelta(days=6), "raised_by": "Contracts team",
            "description": "Staff rota shows night shifts below the agreed level on four nights.",
            "people_affected": 0, "care_management_refs": [], "safety_concern": False, "position_of_trust": False,
            "referral_uncertain": False})
    return concern


def build(users) -> None:
    cqm, officer = users["cqm"], users["officer"]
    today = timezone.localdate()
    password_hash = users["officer"].password  # every demo account shares the published demo password
    escalated = (EscalationCase.objects.open().filter(level__in=[Level.PPM, Level.JIMP, Level.SOSG])
                 .select_related("provider").order_by("pk").first())
    first = escalated.provider if escalated else Provider.objects.order_by("pk").first()
    second = Provider.objects.exclude(pk=first.pk).exclude(cases__isnull=False).order_by("pk").first() or (
        Provider.objects.exclude(pk=first.pk).order_by("pk").first())
    (username, first_name, last, job), (username2, first_name2, last2, job2) = CONTACTS
    contact = _contact(cqm, first, username, first_name, last, job, password_hash)
    _contact(cqm, second, username2, first_name2, last2, job2, password_hash)

    answered = services.share_with_provider(
        user=cqm, concern_id=_shareable_concern(cqm, first, today).pk, kind="response",
        title="Staffing levels at night",
        summary="We have received information that night staffing fell below the agreed level on several nights "
                "last month. Please tell us what happened, what you have done about it, and send the rotas for "
                "the last four weeks.")
    services.send_reply(user=contact, share_id=answered.pk, files=[_pdf("night-rotas.pdf", "Rotas, four weeks")],
                        text="Two night staff left at short notice. We used agency staff from the second week and "
                             "have recruited two permanent carers, who start on Monday. The rotas are attached.")
    services.share_with_provider(
        user=officer, concern_id=_shareable_concern(cqm, first, today).pk, kind="accuracy",
        title="Draft monitoring visit report", closes_on=today + datetime.timedelta(days=10),
        files=[_pdf("draft-visit-report.pdf", "Draft monitoring visit report")],
        summary="The attached draft report of our monitoring visit is shared with you before it is final. Please "
                "tell us about anything in it that is not factually accurate.")


def credentials() -> str:
    """The demo provider contacts' lines for seed_demo's list of sign-ins."""
    lines = ["Providers' portal (sign in at /portal/sign-in/; same password; demo_code works for them too):"]
    for contact in ProviderContact.objects.filter(user__username__in=[c[0] for c in CONTACTS]).select_related(
            "user", "provider").order_by("user__username"):
        device = mfa.confirmed_app(contact.user)
        key = mfa.key_base32(device) if device else "-"
        lines.append(f"  {contact.user.username:<13} {contact.name:<18} contact of {contact.provider.name:<30} "
                     f"key {key}")
    return "\n".join(lines) + "\n"
