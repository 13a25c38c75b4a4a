from crispy_forms_gds.choices import Choice
from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from accounts import roles
from core.forms import GovFormMixin, MultipleFileField, date_field
from providers.contacts import is_provider_contact

from .models import ProviderShare


class PortalSignInForm(AuthenticationForm):
    """The portal's password step: only a provider contact (an account with no role and an active contact row).
    Anyone else gets exactly the message of a wrong password, so the form does not tell who has an account."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if roles.roles_of(user) or user.is_staff or not is_provider_contact(user):
            raise self.get_invalid_login_error()


class ChoosePasswordForm(GovFormMixin, SetPasswordForm):
    """The invitation's form: Django's own password checks (length, common passwords, like the username)."""

    one_time = False  # the invitation link is itself single-use; the person is not signed in yet

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password1"].help_text = "At least 12 characters. Do not use a password you use elsewhere."
        self.fields["new_password2"].label = "Enter the password again"
        self.fields["new_password1"].error_messages["required"] = "Choose a password"
        self.fields["new_password2"].error_messages["required"] = "Enter the password again"


class ContactForm(GovFormMixin, forms.Form):
    name = forms.CharField(label="Full name", max_length=200, error_messages={"required": "Enter the contact's name"})
    email = forms.EmailField(label="Email address", max_length=254, widget=forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "email"}),
        help_text="Their own work address at the provider: the invitation goes there",
        error_messages={"required": "Enter the contact's email address",
                        "invalid": "Enter an email address in the correct format, like name@example.com"})
    job_title = forms.CharField(label="Job title", max_length=200, required=False,
                                help_text="Optional. For example, registered manager")


class ConfirmForm(GovFormMixin, forms.Form):
    """Nothing to fill in: a button with a one-time token (deactivate, re-invite, mark read)."""


class ShareForm(GovFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What are you asking the provider for?", widget=forms.RadioSelect,
        choices=[Choice(ProviderShare.Kind.RESPONSE, "A response to the concern"),
                 Choice(ProviderShare.Kind.ACCURACY, "Comments on the factual accuracy of a draft document or report",
                        hint="Attach the draft below")],
        error_messages={"required": "Select what you are asking the provider for"})
    title = forms.CharField(label="Title the provider sees", max_length=200,
                            error_messages={"required": "Enter a title for the provider"})
    summary = forms.CharField(
        label="What the provider reads", widget=forms.Textarea(attrs={"rows": 8}), max_length=10000,
        help_text="Write it for the provider. The concern's own description is never shown to them: do not name "
                  "residents or the person who raised the concern.",
        error_messages={"required": "Enter what the provider reads"})
    closes_on = date_field("Replies close on", required=False,
                           help_text="Leave blank for the usual window. For example, 27 3 2026")
    documents = MultipleFileField(label="Draft document or report", required=False,
                                  help_text="For factual-accuracy comments. PDF or Word, up to 20 MB each.")

    def __init__(self, *args, default_closes_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        if default_closes_on:
            from core.dates import long_date

            self.fields["closes_on"].help_text = (f"Leave blank for the usual window, which closes on "
                                                  f"{long_date(default_closes_on)}. For example, 27 3 2026")


class ReplyForm(GovFormMixin, forms.Form):
    text = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 10}), max_length=20000,
                           error_messages={"required": "Enter your reply"})
    files = MultipleFileField(label="Evidence files", required=False,
                              help_text="Optional. PDF, Word, images or emails (.msg, .eml), up to 20 MB each.")
