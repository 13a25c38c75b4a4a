from django import forms

from core.forms import GovFormMixin, date_field


class ExtendForm(GovFormMixin, forms.Form):
    new_due_date = date_field("New due date")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "Enter why the deadline is being extended"})


class WaiveForm(GovFormMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "Enter why the deadline is being waived"})
