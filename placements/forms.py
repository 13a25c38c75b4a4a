from django import forms
from django.utils import timezone

from accounts import roles
from core.forms import GovFormMixin, date_field, yes_no_field
from providers.models import Provider

from .models import (
    REFERENCE_MESSAGE,
    Advocacy,
    FamilyContact,
    FundingType,
    PlacingAuthority,
    ResidentStatus,
    Wishes,
)
from .selectors import RouteColour


class PlacementForm(GovFormMixin, forms.Form):
    reference = forms.CharField(label="Reference", max_length=30,
                                help_text="The care management reference: 3 to 30 letters, digits and hyphens, "
                                          "for example CM-104233. No names.",
                                error_messages={"required": "Enter the reference"})
    placing_authority = forms.ModelChoiceField(label="Placing authority", queryset=PlacingAuthority.objects.all(),
                                               empty_label="Choose the placing authority",
                                               error_messages={"required": "Choose the placing authority",
                                                               "invalid_choice": "Choose a placing authority from "
                                                                                 "the list"})
    funding = forms.ChoiceField(label="Funding type", choices=FundingType.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Choose the funding type",
                                                "invalid_choice": "Choose a funding type from the list"})

    def clean_reference(self):
        import re

        value = self.cleaned_data["reference"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{2,29}", value):
            raise forms.ValidationError(REFERENCE_MESSAGE)
        return value


class PlacementImportForm(GovFormMixin, forms.Form):
    file = forms.FileField(label="CSV file", help_text="Columns headed Reference, Placing authority (its name or "
                                                       "code) and Funding type. Up to 2 MB.",
                           error_messages={"required": "Choose a CSV file", "empty": "The chosen file is empty"})


def _assignable():
    from accounts.models import User

    return (User.objects.filter(is_active=True, groups__name__in=[roles.CARE_MANAGER, roles.CQM]).distinct()
            .order_by("first_name", "last_name"))


class StartReviewsForm(GovFormMixin, forms.Form):
    """Nothing to fill in: the button starts the reviews (with the one-time token)."""


class AssignReviewForm(GovFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label="Assign the review to", queryset=None, empty_label="Choose a person",
                                      help_text="A care manager or a CQM",
                                      error_messages={"required": "Choose who does the review",
                                                      "invalid_choice": "Choose a person from the list"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _assignable()


class ReviewOutcomeForm(GovFormMixin, forms.Form):
    reviewed_on = date_field("Date of the review")
    welfare_checked = yes_no_field("Was the person's welfare checked?")
    advocacy = forms.ChoiceField(label="Advocacy", choices=Advocacy.choices, widget=forms.RadioSelect,
                                 error_messages={"required": "Choose what was done about advocacy"})
    family_contact = forms.ChoiceField(label="Family or representative", choices=FamilyContact.choices,
                                       widget=forms.RadioSelect,
                                       error_messages={"required": "Choose whether family or a representative "
                                                                   "was contacted"})
    wishes = forms.ChoiceField(label="The person's wishes", choices=Wishes.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose the person's wishes"})
    notes = forms.CharField(label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="Optional. Do not write names: use references.")


class RegisterEntryForm(GovFormMixin, forms.Form):
    public_summary = forms.CharField(
        label="Public summary", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What may be published, or given in an answer under Freedom of Information. Write it for this "
                  "register: never copy restricted details.")
    internal_detail = forms.CharField(label="Internal detail", required=False, max_length=10000,
                                      widget=forms.Textarea(attrs={"rows": 6}),
                                      help_text="For people cleared for the case only.")
    made_public = yes_no_field("Has the suspension or at-risk decision been made public?")
    made_public_on = date_field("Date made public", required=False,
                                help_text="If it was made public. For example, 27 3 2026")


class RegisterFilterForm(forms.Form):
    """The register's filters (a GET form: it changes nothing, so no one-time token)."""

    year = forms.TypedChoiceField(label="Year", required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": "Choose a year from the list"})
    route = forms.ChoiceField(label="Route reached", required=False,
                              choices=[("", "Any route")] + RouteColour.CHOICES,
                              error_messages={"invalid_choice": "Choose a route from the list"})
    made_public = forms.ChoiceField(label="Made public", required=False,
                                    choices=[("", "Either"), ("yes", "Yes"), ("no", "No")],
                                    error_messages={"invalid_choice": "Choose yes, no or either"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [("", "Any year")] + [(str(y), str(y)) for y in
                                                            range(this_year, this_year - 11, -1)]

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"year": data.get("year"), "route": data.get("route") or None,
                "made_public": {"yes": True, "no": False}.get(data.get("made_public") or "")}


class ResidentForm(GovFormMixin, forms.Form):
    """A resident's move. The new provider on the register is found by its CQC location ID (typed in, looked up
    once): the register holds thousands of providers, too many for a list to choose from."""

    status = forms.ChoiceField(label="Status", choices=ResidentStatus.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose the resident's status"})
    move_date = date_field("Date of the move", required=False, help_text="For a move that has happened")
    new_provider = forms.CharField(label="CQC location ID of the new provider on the register", required=False,
                                   max_length=50,
                                   help_text="For a provider on the register, for example 1-123456789. Leave empty "
                                             "if it is not on the register, or not known yet")
    new_provider_elsewhere = forms.CharField(label="New provider outside the register", required=False,
                                             max_length=200, help_text="For a move out of the area: the provider's "
                                                                       "name and town")

    def __init__(self, *args, closing_provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.closing_provider = closing_provider

    def clean_new_provider(self):
        """The provider with the CQC location ID typed in (one query), or None when the box is empty."""
        location_id = (self.cleaned_data.get("new_provider") or "").strip()
        if not location_id:
            return None
        provider = Provider.objects.filter(cqc_location_id__iexact=location_id).first()
        if provider is None:
            raise forms.ValidationError(f"No provider on the register has the CQC location ID {location_id}: "
                                        "check it, or name the provider outside the register")
        if self.closing_provider is not None and provider.pk == self.closing_provider.pk:
            raise forms.ValidationError("The new provider cannot be the one that is closing")
        return provider


class NotifiedForm(GovFormMixin, forms.Form):
    notified_on = date_field("Date notified")


class ConfirmForm(GovFormMixin, forms.Form):
    """A button with the one-time token: open or close a closure plan."""
