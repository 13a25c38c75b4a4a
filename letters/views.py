from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from audit.services import record
from core.views import submit
from escalation.models import EscalationCase
from escalation.views import require_cleared

from . import permissions as perms
from . import services
from .forms import DeliveryForm, DraftForm, TemplateVersionForm, WithdrawForm
from .merge_fields import MERGE_FIELDS
from .models import Letter, LetterKind, LetterTemplate


def _letter(request, pk) -> Letter:
    if not perms.can_read(request.user):
        raise PermissionDenied
    letter = get_object_or_404(Letter.objects.select_related("case__provider", "template", "issued_by"), pk=pk)
    if not perms.can_read(request.user, letter):
        with transaction.atomic():
            record(actor=request.user, obj=letter.case, kind="restricted_access_denied",
                   summary=f"{request.user} was refused letter {letter.reference} (safeguarding-restricted case)")
        raise PermissionDenied("This letter is about safeguarding-restricted concerns you are not cleared for")
    return letter


def letter_create(request, case_id):
    case = get_object_or_404(EscalationCase.objects.select_related("provider"), pk=case_id)
    if not perms.can_draft(request.user):
        raise PermissionDenied("Only contract officers and CQMs draft letters")
    require_cleared(request, case)
    provider = case.provider
    initial = {"addressee": f"{provider.registered_manager or 'The Registered Manager'}\n{provider.name}\n"
                            + "\n".join(p.strip() for p in provider.address.split(",")) + f"\n{provider.postcode}",
               "kind": request.GET.get("kind")}
    form = DraftForm(request.POST or None, initial=initial)
    done = submit(request, form, lambda d: services.create_draft(user=request.user, case_id=case.pk, **d),
                  success=lambda draft: f"Draft {draft.reference} saved: preview it, then issue it",
                  done_url=lambda draft: reverse("letters:detail", args=[draft.pk]))
    return done or render(request, "letters/draft_form.html", {"form": form, "case": case})


def letter_detail(request, pk):
    letter = _letter(request, pk)
    form = None
    if letter.status == Letter.Status.DRAFT and perms.can_draft(request.user, letter.case):
        form = DraftForm(request.POST or None, editing=True, initial={
            "addressee": letter.addressee, "free_text": letter.free_text, "meeting_date": letter.meeting_date})
        done = submit(request, form, lambda d: services.update_draft(user=request.user, letter_id=letter.pk, **d),
                      success="Draft saved", done_url=reverse("letters:detail", args=[letter.pk]))
        if done:
            return done
    return render(request, "letters/letter_detail.html", {
        "letter": letter, "form": form, "can_issue": perms.can_issue(request.user, letter),
        "delivery_form": DeliveryForm() if letter.status == Letter.Status.ISSUED and not letter.delivered_on else None,
        "template": letter.template or LetterTemplate.latest(letter.kind)})


def letter_preview(request, pk):
    letter = _letter(request, pk)
    pdf = services.preview_pdf(user=request.user, letter_id=letter.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.reference}-preview.pdf"'
    return response


def _post_action(request, pk, form_class, action, success, template):
    letter = _letter(request, pk)
    form = form_class(request.POST or None)
    done = submit(request, form, lambda data: action(letter, data), success=success,
                  done_url=reverse("letters:detail", args=[letter.pk]))
    return done or render(request, template, {"form": form, "letter": letter})


def letter_issue(request, pk):
    letter = _letter(request, pk)
    if request.method != "POST":
        return redirect("letters:detail", letter.pk)
    try:
        issued = services.issue_letter(user=request.user, letter_id=letter.pk)
    except ValidationError as exc:
        for message in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]):
            for m in message:
                messages.error(request, m)
        return redirect("letters:detail", letter.pk)
    messages.success(request, f"{issued.reference} issued. SHA-256 {issued.sha256[:12]}…")
    return redirect("letters:detail", letter.pk)


def letter_download(request, pk):
    letter = _letter(request, pk)
    if letter.status == Letter.Status.DRAFT or not letter.pdf:
        raise Http404("Only issued letters can be downloaded; preview a draft instead")
    try:
        with letter.pdf.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise Http404("The letter's file is missing from storage") from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.reference}.pdf"'
    response["X-Content-SHA256"] = letter.sha256
    return response


def letter_delivery(request, pk):
    return _post_action(request, pk, DeliveryForm,
                        lambda letter, d: services.record_delivery(user=request.user, letter_id=letter.pk, **d),
                        "Delivery date recorded", "letters/delivery_form.html")


def letter_withdraw(request, pk):
    if not perms.can_issue(request.user):
        raise PermissionDenied("Only a Contracts and Quality Manager withdraws letters")
    return _post_action(request, pk, WithdrawForm,
                        lambda letter, d: services.withdraw_letter(user=request.user, letter_id=letter.pk, **d),
                        "Letter withdrawn", "letters/withdraw_form.html")


def template_list(request):
    if not perms.can_read(request.user):
        raise PermissionDenied
    return render(request, "letters/template_list.html", {
        "templates": [LetterTemplate.latest(k) for k in LetterKind.values if LetterTemplate.latest(k)],
        "merge_fields": MERGE_FIELDS, "can_manage": perms.can_manage_templates(request.user)})


def template_new_version(request, kind):
    if not perms.can_manage_templates(request.user):
        raise PermissionDenied("Only administrators change letter templates")
    if kind not in LetterKind.values:
        raise Http404
    current = LetterTemplate.latest(kind)
    form = TemplateVersionForm(request.POST or None, initial={"subject": current.subject, "body": current.body}
                               if current else None)
    done = submit(request, form, lambda d: services.create_template_version(user=request.user, kind=kind, **d),
                  success=lambda template: f"{template} saved; new letters use it", done_url="letters:templates")
    return done or render(request, "letters/template_form.html", {"form": form, "current": current,
                                                          "kind_label": LetterKind(kind).label,
                                                          "merge_fields": MERGE_FIELDS})
