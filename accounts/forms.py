from django import forms

from core.forms import GovFormMixin


class SecurityCodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Security code", max_length=40, strip=True,
        error_messages={"required": "Enter the security code", "max_length": "Enter the security code from your app"},
    )


class NewRecoveryCodesForm(GovFormMixin, forms.Form):
    """Nothing to fill in: the one-time token (core.once) makes a repeat say so instead of replacing the codes the
    first submission showed."""
