from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.forms import GovFormMixin


class SecurityCodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Security code", max_length=40, strip=True,
        error_messages={"required": "Enter the security code", "max_length": "Enter the security code from your app"},
    )


class NewRecoveryCodesForm(GovFormMixin, forms.Form):
    """Nothing to fill in: the one-time token (core.once) makes a repeat say so instead of replacing the codes the
    first submission showed."""


class StaffSignInForm(AuthenticationForm):
    """The staff password step. A providers' portal sign-in (an account with a provider contact row) is refused
    with exactly the message of a wrong password: the page does not reveal that the account exists."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.provider_contacts.exists():
            raise self.get_invalid_login_error()
