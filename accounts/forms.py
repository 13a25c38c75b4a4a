from django import forms


class SecurityCodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Security code", max_length=40, strip=True,
        error_messages={"required": "Enter the security code", "max_length": "Enter the security code from your app"},
    )
