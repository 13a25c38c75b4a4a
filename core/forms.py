from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from django import forms

YES_NO = [(True, "Yes"), (False, "No")]


class GovFormMixin:
    """Renders with the GOV.UK Design System look; the template adds the error summary and buttons.

    Every such form also carries a one-time token in a hidden field (core.once, ADR 0021). When the form is
    sent in a POST, a missing, forged, expired or someone else's token is refused with a message at the top of
    the form, and the form is drawn again with a fresh token so the person can send it again. Views take the
    token with core.once.once() (core.views.submit does) in the same transaction as the action. Set
    `one_time = False` on a form that changes nothing (a search)."""

    one_time = True
    form_token_nonce = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.one_time:
            from .once import FIELD, issue_for_current_request

            self.fields[FIELD] = forms.CharField(widget=forms.HiddenInput, required=False,
                                                 initial=issue_for_current_request)

    def full_clean(self):
        super().full_clean()
        if self.one_time and self.is_bound:
            from .once import FIELD

            getattr(self, "cleaned_data", {}).pop(FIELD, None)  # views pass cleaned_data on to services
            if self._posted():
                self._check_form_token()

    def _posted(self) -> bool:
        """Bound to this request's POST: a form the person sent (not one a view builds for itself, such as
        the importer's row-by-row checks, nor a search form bound to GET)."""
        from .once import current_request

        request = current_request()
        return request is not None and request.method == "POST" and self.data is request.POST

    def _check_form_token(self):
        from .once import FIELD, TokenRefused, current_request, issue, read

        request = current_request()
        name = self.add_prefix(FIELD)
        try:
            self.form_token_nonce = read(self.data.get(name), request.user)
        except TokenRefused as exc:
            self.add_error(None, str(exc))
            data = self.data.copy()  # draw the form again with a token that will be accepted
            data[name] = issue(request.user)
            self.data = data

    def ask_for_files_again(self):
        """A browser does not send a chosen file again with the page it draws after a problem: on each file field
        whose files came with this refused submit, say which to choose again (so the summary lists it too)."""
        if not self.is_bound or not self.files or not self.errors:
            return
        for name, field in list(self.fields.items()):
            if not isinstance(field, forms.FileField) or name in self.errors:
                continue
            chosen = [f.name for f in self.files.getlist(self.add_prefix(name)) if f]
            if chosen:
                names = ", ".join(chosen[:-1]) + " and " + chosen[-1] if len(chosen) > 1 else chosen[0]
                self.add_error(name, f"Choose {names} again: files are not kept when the page shows a problem")

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


class FileInput(forms.FileInput):
    """A file input that takes several files. Named FileInput so crispy-forms-gds gives it the GOV.UK error style;
    CRISPY_CLASS_CONVERTERS gives it the GOV.UK class."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = FileInput

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
