from django import forms
from django.utils import timezone

from concerns.forms import ConcernForm
from concerns.models import Concern
from core.forms import GovFormMixin, date_field

from . import ratings
from .models import CHECKLIST, AuditRating, Finding, TriggerRule


class RatingsImportForm(GovFormMixin, forms.Form):
    csv_file = forms.FileField(
        label="CSV file of CQC ratings",
        help_text="Columns: Location ID, Location Latest Overall Rating, Publication Date; optionally Safe, "
                  "Effective, Caring, Responsive and Well-led",
        error_messages={"required": "Choose a CSV file to import"},
    )

    def clean_csv_file(self):
        f = self.cleaned_data["csv_file"]
        if f.size > ratings.MAX_BYTES:
            raise forms.ValidationError("The CSV file must be smaller than 10 MB")
        return f


class SuggestedConcernForm(ConcernForm):
    """The concern form, started from a suggestion: its provider fixed, why it was raised as the first words of
    "What happened", the source the suggestion proposes and today's date. The officer completes the rest."""

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, provider=suggestion.provider, **kwargs)
        if not self.is_bound:
            self.initial.update({
                "source": suggestion.concern_source,
                "received_on": timezone.localdate(),
                "raised_by": ("CQC ratings (intelligence)" if suggestion.kind == suggestion.Kind.RATING_DROP
                              else f"Early-warning trigger: {suggestion.rule}")[:200],
                "description": suggestion.why + ".",
            })


class DismissForm(GovFormMixin, forms.Form):
    reason = forms.CharField(label="Why are you dismissing this suggestion?", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "Enter why you are dismissing this suggestion"})


class TriggerRuleForm(GovFormMixin, forms.ModelForm):
    """A trigger rule; the model's clean() refuses a rule that could never fire or fires on everything."""

    class Meta:
        model = TriggerRule
        fields = ["name", "kind", "source", "threshold", "window_days", "min_level", "active"]
        labels = {"kind": "What makes the rule fire", "active": "Run this rule"}
        widgets = {
            "kind": forms.RadioSelect,
            "threshold": forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
            "window_days": forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        }
        help_texts = {
            "threshold": "For a rule that counts concerns, for example 3",
            "window_days": "For example 30: concerns received in the last 30 days count",
            "min_level": "For a rule about providers on the escalation ladder",
            "source": "Leave empty for concerns from any source",
        }
        error_messages = {
            "name": {"required": "Enter a name for the rule", "unique": "A rule with this name already exists"},
            "kind": {"required": "Select what makes the rule fire"},
            "window_days": {"required": "Enter within how many days", "invalid": "Enter a whole number of days"},
            "threshold": {"invalid": "Enter a whole number"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = TriggerRule.Kind.choices
        self.fields["source"].choices = [("", "Any source"), *Concern.Source.choices]
        self.fields["min_level"].choices = [("", "Not used"), *TriggerRule.Level.choices]

    def rule_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class VisitForm(GovFormMixin, forms.Form):
    """The visit checklist: each area no concerns / concern / not checked, with notes."""

    visited_on = date_field("Date of the visit")
    visited_by = forms.CharField(label="Who visited", max_length=200,
                                 error_messages={"required": "Enter who visited"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in CHECKLIST:
            self.fields[name] = forms.ChoiceField(
                label=label, choices=Finding.choices, widget=forms.RadioSelect,
                error_messages={"required": f"Select what you found for {label.lower()}"})
            self.fields[f"{name}_notes"] = forms.CharField(
                label=f"Notes on {label.lower()}", required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}))
        self.fields["summary"] = forms.CharField(label="Summary of findings", required=False, max_length=10000,
                                                 widget=forms.Textarea(attrs={"rows": 4}))

    def clean(self):
        data = super().clean()
        for name, label in CHECKLIST:
            if data.get(name) == Finding.CONCERN and not (data.get(f"{name}_notes") or "").strip():
                self.add_error(f"{name}_notes", f"Describe the concern about {label.lower()}")
        return data


class VisitConcernForm(ConcernForm):
    """The concern form, started from a visit's findings (provider fixed, findings as "What happened")."""

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, provider=visit.provider, **kwargs)
        if not self.is_bound:
            self.initial.update({"source": Concern.Source.CONTRACTS, "received_on": visit.visited_on,
                                 "raised_by": f"Monitoring visit: {visit.visited_by}"[:200],
                                 "description": visit.findings_text()})


class QualityAuditForm(GovFormMixin, forms.Form):
    report_date = date_field("Date of the report")
    overall = forms.ChoiceField(label="Overall rating", choices=AuditRating.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Select the overall rating"})
    reaudit_due = date_field("Re-audit due", required=False,
                             help_text="Leave empty for 6 months after the report. For example, 27 3 2027")
    summary = forms.CharField(label="Summary", required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, standards, **kwargs):
        super().__init__(*args, **kwargs)
        self.standards = standards
        for standard in standards:
            self.fields[f"standard_{standard.pk}"] = forms.ChoiceField(
                label=f"{standard} ({standard.domain})", choices=[("", "Choose a rating"), *AuditRating.choices],
                error_messages={"required": f"Rate standard {standard}"})

    def ratings_by_standard(self) -> dict:
        return {s.pk: self.cleaned_data[f"standard_{s.pk}"] for s in self.standards}


class CqcMeetingForm(GovFormMixin, forms.Form):
    meeting_date = date_field("Date of the meeting")
    attendees = forms.CharField(label="Who attended", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                                help_text="Names and organisations, one per line",
                                error_messages={"required": "Enter who attended"})
    location_ids = forms.CharField(label="Providers discussed", required=False, max_length=10000,
                                   error_messages={"max_length": "Providers discussed must be 10,000 characters "
                                                                 "or fewer (about 800 location IDs)"},
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="CQC location IDs, one per line or separated by commas, for example "
                                             "1-123456789")
    actions = forms.CharField(label="Actions agreed", required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    minutes = forms.CharField(required=False, max_length=50000, widget=forms.Textarea(attrs={"rows": 8}))

    def clean_location_ids(self):
        import re

        from providers.models import Provider

        ids = [i for i in re.split(r"[\s,;]+", self.cleaned_data["location_ids"]) if i]
        found = dict(Provider.objects.filter(cqc_location_id__in=ids).values_list("cqc_location_id", "pk"))
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise forms.ValidationError("Not on the provider register: " + ", ".join(unknown[:5]))
        return sorted(set(found.values()))
