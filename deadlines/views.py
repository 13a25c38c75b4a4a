from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from core.views import apply_service_errors

from . import services
from .forms import ExtendForm, WaiveForm
from .models import Deadline


def _change(request, pk, form_class, action, heading, button, success):
    deadline = get_object_or_404(Deadline.objects.select_related("case__provider"), pk=pk)
    if not services.can_manage(request.user, deadline):
        raise PermissionDenied("Only a CQM or the person responsible changes a deadline")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action(deadline, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(deadline.case)
    return render(request, "deadlines/deadline_form.html", {"form": form, "deadline": deadline, "heading": heading,
                                                            "button": button})


def extend(request, pk):
    return _change(request, pk, ExtendForm,
                   lambda d, data: services.extend_deadline(user=request.user, deadline_id=d.pk, **data),
                   "Extend a deadline", "Extend deadline", "Deadline extended")


def waive(request, pk):
    return _change(request, pk, WaiveForm,
                   lambda d, data: services.waive_deadline(user=request.user, deadline_id=d.pk, **data),
                   "Waive a deadline", "Waive deadline", "Deadline waived")
