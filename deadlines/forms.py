from django import forms

from core.forms import GovFormMixin, date_field


class ExtendForm(GovFormMixin, forms.Form):
    new_due_date = date_field("New due date")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "Enter why the deadline is being extended"})


class WaiveForm(GovFormMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "Enter why the deadline is being waived"})


CHOOSE_CALENDAR_ACTION = "Choose whether to create, reset or turn off your calendar link"


class CalendarLinkForm(GovFormMixin, forms.Form):
    """The calendar link buttons on the home page. The one-time token (core.once) makes a second click do nothing:
    the address is shown only on the answer to the first, so a second reset would lose it."""

    action = forms.ChoiceField(choices=[("create", "Create"), ("reset", "Reset"), ("delete", "Turn off")],
                               error_messages={"required": CHOOSE_CALENDAR_ACTION,
                                               "invalid_choice": CHOOSE_CALENDAR_ACTION})
