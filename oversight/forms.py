from django import forms

from core.forms import GovFormMixin, date_field

from .models import PackJob


class PackForm(GovFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Which pack", widget=forms.RadioSelect, choices=PackJob.Kind.choices,
                             error_messages={"required": "Select which pack to build"})
    meeting_date = date_field("Meeting date", help_text="For example, 14 1 2027")

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(k, v) for k, v in PackJob.Kind.choices if k in kinds]
            if len(kinds) == 1:
                self.fields["kind"].initial = kinds[0]


class ReportPeriodForm(GovFormMixin, forms.Form):
    """The board reports' period (a GET form: it changes nothing, so no one-time token)."""

    one_time = False
    start = date_field("Start date", help_text="The report starts on the first of this month. For example, 1 1 2026",
                       required=False)
    end = date_field("End date", help_text="The report ends on the last day of this month. For example, 31 12 2026",
                     required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        return data
