import re

from crispy_forms_gds.choices import Choice
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.forms import GovFormMixin, MultipleFileField, date_field, yes_no_field
from providers.models import Provider

from .criteria import ENGAGEMENT, IMPACT
from .models import IMPACT_SCORES, Concern, JqmmMeeting, RiskLevel, cell_key

CM_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]{2,19}$")


class ConcernForm(GovFormMixin, forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.all(), label="Provider",
        error_messages={"required": "Select the provider the concern is about",
                        "invalid_choice": "Select a provider from the register"},
    )
    source = forms.ChoiceField(
        label="Where did the concern come from?", choices=Concern.Source.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select where the concern came from"},
    )
    received_on = date_field("Date received")
    raised_by = forms.CharField(
        label="Who raised it", max_length=200, help_text="Name and role or organisation",
        error_messages={"required": "Enter who raised the concern"},
    )
    description = forms.CharField(
        label="What happened", widget=forms.Textarea(attrs={"rows": 6}), max_length=10000,
        error_messages={"required": "Describe what happened"},
    )
    people_affected = forms.IntegerField(
        label="How many people are affected", min_value=0, max_value=10000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={"required": "Enter how many people are affected", "invalid": "Enter a whole number",
                        "min_value": "The number of people cannot be negative"},
    )
    care_management_refs = forms.CharField(
        label="Care management reference numbers", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line or separated by commas. Do not enter names.",
    )
    safety_concern = yes_no_field("Is there concern for the safety of individuals?")
    position_of_trust = yes_no_field("Is there concern about the conduct of someone in a position of trust?")
    referral_uncertain = yes_no_field(
        "Is it unclear whether this should be a safeguarding referral?",
        help_text="Answer yes if further guidance is needed from Safeguarding",
    )
    evidence = MultipleFileField(
        label="Evidence files", required=False,
        help_text="Optional. PDF, Word, images or emails (.msg, .eml), up to 20 MB each.",
    )

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provider is not None:
            self.fields["provider"].initial = provider.pk
            self.fields["provider"].widget = forms.HiddenInput()

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date received must be today or in the past")
        return value

    def clean_care_management_refs(self):
        raw = self.cleaned_data["care_management_refs"]
        refs = [r.strip() for r in re.split(r"[,\n;]+", raw) if r.strip()]
        bad = [r for r in refs if not CM_REF.match(r)]
        if bad:
            raise forms.ValidationError(
                "Reference numbers are 3 to 20 letters, numbers, / or - (no names or spaces): "
                + ", ".join(bad[:3])
            )
        if len(set(refs)) != len(refs):
            raise forms.ValidationError("A reference number is listed twice")
        return refs

    def clean(self):
        data = super().clean()
        refs, count = data.get("care_management_refs"), data.get("people_affected")
        if refs and count is not None and len(refs) > count:
            self.add_error("people_affected", f"You listed {len(refs)} reference numbers; enter at least {len(refs)}")
        return data

    def concern_data(self) -> dict:
        d = self.cleaned_data
        keys = ["source", "received_on", "raised_by", "description", "people_affected", "care_management_refs",
                "safety_concern", "position_of_trust", "referral_uncertain"]
        return {k: d[k] for k in keys}


class EvidenceForm(GovFormMixin, forms.Form):
    evidence = MultipleFileField(label="Evidence files", help_text="PDF, Word, images or emails, up to 20 MB each.",
                                 error_messages={"required": "Choose at least one file"})


class AdviceForm(GovFormMixin, forms.Form):
    adviser = forms.CharField(label="Who gave the advice", max_length=200,
                              help_text="Name and team, for example 'J Okafor, Safeguarding Adults Team'",
                              error_messages={"required": "Enter who gave the advice"})
    advised_on = date_field("Date the advice was given")
    advice = forms.CharField(label="Advice given", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
                             error_messages={"required": "Enter the advice given"})
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)


class RouteForm(GovFormMixin, forms.Form):
    route = forms.ChoiceField(
        label="Where should this concern go?", widget=forms.RadioSelect,
        choices=[
            Choice("jqmm", "Onto the next JQMM agenda"),
            Choice("further_action", "Straight to further action",
                   hint="Only if it cannot wait for the next JQMM"),
        ],
        error_messages={"required": "Select where the concern should go"},
    )
    meeting = forms.ModelChoiceField(
        label="Which JQMM", required=False, queryset=JqmmMeeting.objects.none(),
        help_text="Only needed for the JQMM agenda",
        error_messages={"invalid_choice": "Choose a scheduled JQMM"},
    )
    reason = forms.CharField(label="Why it cannot wait", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Only needed for straight to further action")
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        upcoming = JqmmMeeting.objects.filter(meeting_date__gte=timezone.localdate())
        self.fields["meeting"].queryset = upcoming
        self.fields["meeting"].empty_label = None
        self.fields["meeting"].initial = upcoming.first()

    def clean(self):
        data = super().clean()
        if data.get("route") == "jqmm" and not data.get("meeting"):
            self.add_error("meeting", "No JQMM is scheduled: ask a CQM to schedule one, or choose further action")
        if data.get("route") == "further_action" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter why this concern cannot wait for the next JQMM")
        return data


class CloseConcernForm(GovFormMixin, forms.Form):
    notes = forms.CharField(label="How was the further action dealt with?", max_length=10000,
                            widget=forms.Textarea(attrs={"rows": 5}),
                            help_text="For example, what the provider did and how the council checked it. A concern "
                                      "on a case closes when its case closes.",
                            error_messages={"required": "Enter how the further action ended"})
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)


class MonitoringForm(GovFormMixin, forms.Form):
    monitoring_date = date_field("Date of monitoring")
    carried_out_by = forms.CharField(label="Who is carrying it out", max_length=200,
                                     error_messages={"required": "Enter who is carrying out the monitoring"})
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
                           error_messages={"required": "Enter a note about the monitoring"})


class ShareForm(GovFormMixin, forms.Form):
    colleague = forms.ModelChoiceField(
        label="Share with", queryset=get_user_model().objects.none(),
        help_text="They will see its details. SPRG and DMT members, the DASS and ICB colleagues can see a case, "
                  "and decide on it, only once every restricted concern on it is shared with them.",
        error_messages={"required": "Choose who to share the concern with",
                        "invalid_choice": "Choose a member of staff from the list"},
    )

    def __init__(self, *args, concern=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()
        if concern is not None:
            qs = qs.exclude(pk__in=concern.shared_with.values("pk")).exclude(pk=concern.logged_by_id)
        self.fields["colleague"].queryset = qs


class JqmmForm(GovFormMixin, forms.Form):
    meeting_date = date_field("Meeting date")
    location = forms.CharField(label="Location", max_length=200, required=False)

    def clean_meeting_date(self):
        value = self.cleaned_data["meeting_date"]
        if value and value < timezone.localdate():
            raise forms.ValidationError("A new JQMM must be today or in the future")
        return value


class JqmmOutcomeForm(GovFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect,
        choices=[("further_action", "Further action"), ("no_further_action", "No further action")],
        error_messages={"required": "Select the outcome"},
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                            error_messages={"required": "Enter the JQMM's reasons"})
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)


def _criteria_choices(criteria):
    return [Choice(score, f"{score}", hint=" · ".join(lines)) for score, lines in criteria.items()]


class RiskAssessmentForm(GovFormMixin, forms.Form):
    engagement = forms.TypedChoiceField(
        label="Engagement", coerce=int, widget=forms.RadioSelect, choices=_criteria_choices(ENGAGEMENT),
        help_text="Choose the score whose description best matches the provider's engagement",
        error_messages={"required": "Select an engagement score"},
    )
    impact = forms.TypedChoiceField(
        label="Impact", coerce=int, widget=forms.RadioSelect, choices=_criteria_choices(IMPACT),
        help_text="Choose the score whose description best matches the impact on the service",
        error_messages={"required": "Select an impact score"},
    )
    level = forms.ChoiceField(
        label="Risk level", widget=forms.RadioSelect, required=False,
        choices=[Choice("", "Use the level the matrix recommends", divider="or")]
        + [Choice(v, label) for v, label in RiskLevel.choices],
        help_text="Choosing a level other than the one the matrix recommends needs a reason",
    )
    override_reason = forms.CharField(label="Reason for choosing a different level", required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            max_length=10000)

    def __init__(self, *args, matrix=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.matrix = matrix

    def recommended(self):
        d = getattr(self, "cleaned_data", {})
        if self.matrix and d.get("engagement") is not None and d.get("impact") is not None:
            return RiskLevel(self.matrix.level_for(d["engagement"], d["impact"]))
        return None

    def clean(self):
        data = super().clean()
        rec = self.recommended()
        level = data.get("level")
        if rec and level and level != rec.value and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason",
                           f"Enter why you chose a different level from the one recommended ({rec.label})")
        return data


class RiskMatrixForm(GovFormMixin, forms.Form):
    note = forms.CharField(label="Why is the matrix changing?", max_length=300,
                           error_messages={"required": "Enter why the matrix is changing"})

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for e in range(5):
            for i in IMPACT_SCORES:
                name = f"cell_{e}_{i}"
                self.fields[name] = forms.ChoiceField(
                    label=f"Engagement {e}, impact {i}", choices=RiskLevel.choices,
                    initial=current.level_for(e, i) if current else None,
                )

    def cells(self) -> dict:
        return {cell_key(e, i): self.cleaned_data[f"cell_{e}_{i}"] for e in range(5) for i in IMPACT_SCORES}


class ConcernFilterForm(GovFormMixin, forms.Form):
    """The concerns list's filters and search (a GET form: it changes nothing, so no one-time token)."""

    one_time = False

    q = forms.CharField(label="Search concerns", required=False, max_length=100,
                        help_text="A concern reference (CON-00012), part of a provider's name, or words from "
                                  "what happened",
                        error_messages={"max_length": "Search for 100 characters or fewer"})
    state = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status")] + Concern.State.choices)
    source = forms.ChoiceField(label="Source", required=False, choices=[("", "Any source")] + Concern.Source.choices)
    restricted = forms.ChoiceField(label="Safeguarding restricted", required=False,
                                   choices=[("", "Either"), ("yes", "Restricted only"), ("no", "Not restricted")])
    received_from = date_field("Received on or after", help_text="For example, 1 4 2026", required=False)
    received_to = date_field("Received on or before", help_text="For example, 30 4 2026", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, initial="newest",
                             choices=[("newest", "Newest received first"), ("oldest", "Oldest received first")],
                             error_messages={"invalid_choice": "Choose a sort order from the list"})

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", "The 'on or before' date must be the same as or after the 'on or after' date")
        return data

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {k: d.get(k) or None for k in ("q", "state", "source", "restricted", "received_from", "received_to",
                                              "sort")}
