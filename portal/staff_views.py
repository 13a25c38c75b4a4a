"""The council's side of the providers' portal: contacts, sharing, replies. Thin: parse, call a service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from concerns.models import Concern
from concerns.permissions import is_cleared
from core.dates import long_date
from core.views import STALE_MESSAGE, submit
from providers.models import Provider, ProviderContact

from . import permissions as perms
from . import services
from .forms import ConfirmForm, ContactForm, ShareForm
from .models import ProviderReply, ProviderShare, ReplyFile, SharedDocument
from .views import _file_response


def _require(allowed: bool):
    if not allowed:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def contacts(request, provider_id):
    _require(perms.can_manage_contacts(request.user))
    provider = get_object_or_404(Provider, pk=provider_id)
    form = ContactForm(request.POST or None)
    here = reverse("portal_staff:contacts", args=[provider.pk])
    done = submit(request, form, lambda d: services.add_contact(
        user=request.user, provider_id=provider.pk, name=d["name"], email=d["email"], job_title=d["job_title"]),
        success=lambda c: f"{c.name} added. An invitation to set a password has been emailed to {c.email}.",
        done_url=here)
    if done:
        return done
    return render(request, "portal/staff/contacts.html", {
        "provider": provider, "form": form, "confirm_form": ConfirmForm(),
        "contacts": list(ProviderContact.objects.filter(provider=provider).select_related("user", "added_by")),
    }, status=400 if form.errors else 200)


def _contact_action(request, pk, action, success):
    _require(perms.can_manage_contacts(request.user))
    contact = get_object_or_404(ProviderContact.objects.select_related("provider"), pk=pk)
    back = reverse("portal_staff:contacts", args=[contact.provider_id])
    if request.method != "POST":
        return render(request, "portal/staff/contact_confirm.html", {
            "contact": contact, "form": ConfirmForm(), "action": success[0], "back_url": back})
    form = ConfirmForm(request.POST)
    done = submit(request, form, lambda d: action(user=request.user, contact_id=contact.pk),
                  success=success[1].format(name=contact.name, email=contact.email), done_url=back)
    if done:
        return done
    return render(request, "portal/staff/contact_confirm.html", {
        "contact": contact, "form": form, "action": success[0], "back_url": back}, status=400)


@require_http_methods(["GET", "POST"])
def contact_deactivate(request, pk):
    return _contact_action(request, pk, services.deactivate_contact,
                           ("Deactivate", "{name} can no longer sign in to the providers' portal for this provider."))


@require_http_methods(["GET", "POST"])
def contact_reinvite(request, pk):
    return _contact_action(request, pk, services.reinvite_contact,
                           ("Send a new invitation to", "A new invitation has been emailed to {email}."))


@require_http_methods(["GET", "POST"])
def share(request, concern_id):
    concern = get_object_or_404(Concern.objects.select_related("provider"), pk=concern_id)
    if not perms.can_share_with_provider(request.user, concern):
        raise PermissionDenied(perms.can_share_with_provider.explain(request.user, concern))
    default_closes_on = services.default_closing_date()
    form = ShareForm(request.POST or None, request.FILES or None, default_closes_on=default_closes_on)
    done = submit(request, form, lambda d: services.share_with_provider(
        user=request.user, concern_id=concern.pk, kind=d["kind"], title=d["title"], summary=d["summary"],
        closes_on=d["closes_on"], files=d["documents"]),
        success=lambda s: f"Shared with {s.provider}. Replies close on {long_date(s.closes_on)}.",
        done_url=concern.get_absolute_url() + "#provider-replies")
    return done or render(request, "portal/staff/share_form.html", {
        "form": form, "concern": concern, "default_closes_on": default_closes_on,
    }, status=400 if form.errors else 200)


def _share_for_staff(request, pk) -> ProviderShare:
    share = get_object_or_404(ProviderShare.objects.select_related("concern", "provider"), pk=pk)
    _require(perms.can_see_provider_replies(request.user, share))
    return share


@require_safe
def shared_document(request, pk, document_id):
    share = _share_for_staff(request, pk)
    return _file_response(get_object_or_404(SharedDocument, pk=document_id, share=share))


@require_safe
def reply_file(request, pk, file_id):
    reply = get_object_or_404(ProviderReply.objects.select_related("share__concern"), pk=pk)
    _require(perms.can_see_provider_replies(request.user, reply) and is_cleared(request.user, reply.share.concern))
    return _file_response(get_object_or_404(ReplyFile, pk=file_id, reply=reply))


@require_http_methods(["POST"])
def reply_read(request, pk):
    reply = get_object_or_404(ProviderReply.objects.select_related("share__concern"), pk=pk)
    _require(perms.can_mark_reply_read(request.user, reply))
    back = reply.share.concern.get_absolute_url() + "#provider-replies"
    nxt = request.POST.get("next", "")
    if nxt.startswith("/cases/") or nxt.startswith("/concerns/"):
        back = nxt
    form = ConfirmForm(request.POST)
    done = submit(request, form, lambda d: services.mark_reply_read(user=request.user, reply_id=reply.pk),
                  success="Reply marked as read", done_url=back)
    if done:
        return done
    messages.error(request, " ".join(form.non_field_errors()) or STALE_MESSAGE)
    return redirect(back)
