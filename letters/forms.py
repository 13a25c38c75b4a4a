from django import forms

from core.forms import GovFormMixin, date_field

from .markup import problems
from .models import LetterKind


class DraftForm(GovFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Which letter?", widget=forms.RadioSelect, choices=LetterKind.choices,
                             error_messages={"required": "Choose which letter to write"})
    addressee = forms.CharField(label="Addressee", widget=forms.Textarea(attrs={"rows": 5}), max_length=1000,
                                help_text="Name, then each line of the postal address",
                                error_messages={"required": "Enter the addressee's name and address"})
    meeting_date = date_field("Meeting date", required=False,
                              help_text="For meeting invitations only. For example, 27 3 2026")
    free_text = forms.CharField(label="Text of the letter", required=False, max_length=20000,
                                widget=forms.Textarea(attrs={"rows": 8}),
                                help_text="The text of the letter in your own words: for an at-risk letter, the "
                                          "concerns. Leave a blank line between paragraphs. It is printed exactly as "
                                          "you type it")

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]


class DeliveryForm(GovFormMixin, forms.Form):
    delivered_on = date_field("Date of delivery")


class WithdrawForm(GovFormMixin, forms.Form):
    reason = forms.CharField(label="Why is the letter withdrawn?", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000, error_messages={"required": "Enter why the letter is withdrawn"})


class TemplateVersionForm(GovFormMixin, forms.Form):
    subject = forms.CharField(label="Subject", max_length=200, error_messages={"required": "Enter the subject"})
    body = forms.CharField(label="Body", widget=forms.Textarea(attrs={"rows": 18}), max_length=50000,
                           help_text="Use the letter markup described below: paragraphs, **bold**, lists and merge "
                                     "fields. No HTML, web addresses or other code.",
                           error_messages={"required": "Enter the body"})
    note = forms.CharField(label="Why is the template changing?", max_length=300,
                           error_messages={"required": "Enter why the template is changing"})

    def clean_subject(self):
        return self._markup_only("subject")

    def clean_body(self):
        return self._markup_only("body")

    def _markup_only(self, name):
        text = self.cleaned_data[name]
        found = problems(text, part=name)
        if found:
            raise forms.ValidationError(found)
        return text
