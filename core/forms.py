from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from django import forms

YES_NO = [(True, "Yes"), (False, "No")]


class GovFormMixin:
    """Renders with the GOV.UK Design System look; the template adds the error summary and buttons."""

    @property
    def helper(self):
        """Built on first use, so forms may add or remove fields in their own __init__."""
        if "_helper" not in self.__dict__:
            helper = FormHelper(self)
            helper.form_tag = False
            helper.form_show_errors = True
            helper.disable_csrf = True
            self.__dict__["_helper"] = helper
        return self.__dict__["_helper"]


class GovDateField(DateInputField):
    """Day / month / year boxes; an impossible date gets a plain message, not Python's."""

    def compress(self, data_list):
        try:
            value = super().compress(data_list)
        except forms.ValidationError as exc:
            raise forms.ValidationError(f"{self.label} must be a real date") from exc
        if value and value.year < 2000:
            raise forms.ValidationError(f"{self.label} must be after 2000")
        return value


def date_field(label, help_text="For example, 27 3 2026", required=True):
    field = GovDateField(label=label, help_text=help_text, required=required)
    field.error_messages["required"] = f"Enter the {label.lower()}"
    field.error_messages["incomplete"] = f"Enter the {label.lower()} in full: day, month and year"
    return field


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def yes_no_field(label, help_text=""):
    return forms.TypedChoiceField(
        label=label, help_text=help_text, choices=YES_NO, widget=forms.RadioSelect,
        coerce=lambda v: v in (True, "True"),
        error_messages={"required": f"Select yes or no: {label[0].lower()}{label[1:].rstrip('?')}"},
    )
