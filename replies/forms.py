from django import forms

from core.forms import GovFormMixin, MultipleFileField

from .models import ActionUpdate, Appeal

FILES_HELP = "Optional. PDF, Word, images or emails, up to 20 MB each."


class ActionUpdateForm(GovFormMixin, forms.Form):
    progress = forms.CharField(label="What progress have you made on this action?", max_length=10000,
                               widget=forms.Textarea(attrs={"rows": 6}),
                               error_messages={"required": "Enter the progress made on this action"})
    proposed_status = forms.ChoiceField(label="Where does the action stand now?", widget=forms.RadioSelect,
                                        choices=ActionUpdate.ProposedStatus.choices,
                                        error_messages={"required": "Choose where the action now stands"})
    evidence = MultipleFileField(label="Evidence files", required=False, help_text=FILES_HELP)


class AppealForm(GovFormMixin, forms.Form):
    grounds = forms.CharField(label="Your grounds of appeal", max_length=20000,
                              help_text="Say why you believe the decision to suspend placements was wrong, and what "
                                        "you want the council to consider.",
                              widget=forms.Textarea(attrs={"rows": 10}),
                              error_messages={"required": "Enter the grounds of your appeal"})
    evidence = MultipleFileField(label="Evidence files", required=False, help_text=FILES_HELP)


ANSWERS = [("accept", "Accept the update: record the progress on the action"),
           ("query", "Query the update: ask the provider a question")]


class ReviewUpdateForm(GovFormMixin, forms.Form):
    answer = forms.ChoiceField(label="Your answer", widget=forms.RadioSelect, choices=ANSWERS,
                               error_messages={"required": "Choose whether to accept or query the update"})
    question = forms.CharField(label="Your question for the provider", required=False, max_length=5000,
                               help_text="Only if you query the update. The provider reads it in the portal.",
                               widget=forms.Textarea(attrs={"rows": 4}))


class DecideAppealForm(GovFormMixin, forms.Form):
    outcome = forms.ChoiceField(label="The outcome of the appeal", widget=forms.RadioSelect,
                                choices=[(Appeal.Status.UPHELD, Appeal.Status.UPHELD.label),
                                         (Appeal.Status.ALLOWED, "Appeal allowed: the lifting route is to be "
                                                                 "started")],
                                error_messages={"required": "Choose the outcome of the appeal"})
    reasons = forms.CharField(label="Reasons for the decision", max_length=20000,
                              help_text="They are quoted in the outcome letter to the provider.",
                              widget=forms.Textarea(attrs={"rows": 8}),
                              error_messages={"required": "Enter the reasons for the decision"})
