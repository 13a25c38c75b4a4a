"""Forms for the pages that draw on several apps."""

from django import forms

from core.forms import GovFormMixin
from escalation.models import LADDER, Level
from providers.models import PlacementStatus

from .selectors import NO_OPEN_CASE

SORTS = [("name", "Name (A to Z)"), ("open_concerns", "Most open concerns"), ("risk", "Highest latest risk level")]
PAGE_SIZES = [("25", "25"), ("50", "50")]


def choose_from_list(what: str) -> dict:
    return {"invalid_choice": f"Select {what} from the list"}  # nosec B608 # an error message, not SQL


class ProviderFilterForm(GovFormMixin, forms.Form):
    """The provider register's search, filters, sort order and page size (a GET form: it changes nothing, so no
    one-time token). The filters on cases are offered only to people who may see cases."""

    one_time = False

    q = forms.CharField(label="Search providers", required=False, max_length=100,
                        help_text="Name, town, postcode or CQC location ID",
                        error_messages={"max_length": "Search for 100 characters or fewer"})
    service_type = forms.ChoiceField(label="Service type", required=False,
                                     error_messages=choose_from_list("a service type"))
    placement_status = forms.ChoiceField(
        label="Placements", required=False, choices=[("", "Any placement status")] + PlacementStatus.choices,
        error_messages=choose_from_list("a placement status"))
    open_case = forms.ChoiceField(
        label="Escalation case", required=False,
        choices=[("", "With or without an open case"), ("yes", "Has an open case"), ("no", "No open case")],
        error_messages=choose_from_list("whether the provider has an open case"))
    level = forms.ChoiceField(
        label="Level of the open case", required=False,
        choices=[("", "Any level"), (NO_OPEN_CASE, "None (no open case)")] + [(v, Level(v).label) for v in LADDER],
        error_messages=choose_from_list("a level"))
    sort = forms.ChoiceField(label="Sort by", required=False, initial="name", choices=SORTS,
                             error_messages=choose_from_list("a sort order"))
    per_page = forms.ChoiceField(label="Providers per page", required=False, initial="25", choices=PAGE_SIZES,
                                 error_messages=choose_from_list("25 or 50 providers per page"))

    def __init__(self, *args, service_types=(), sees_cases=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = [("", "Any service type")] + [(t, t) for t in service_types]
        if not sees_cases:
            del self.fields["open_case"], self.fields["level"]

    def clean(self):
        data = super().clean()
        open_case, level = data.get("open_case"), data.get("level")
        if (open_case == "no" and level in LADDER) or (open_case == "yes" and level == NO_OPEN_CASE):
            self.add_error("level", "This level does not go with the escalation case chosen: choose 'Any level', "
                                    "or change the escalation case")
        return data

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"q": d.get("q") or "", "service_type": d.get("service_type") or "",
                "placement_status": d.get("placement_status") or "", "open_case": d.get("open_case") or "",
                "level": d.get("level") or "", "sort": d.get("sort") or "name"}

    def page_size(self) -> int:
        d = self.cleaned_data if self.is_valid() else {}
        return int(d.get("per_page") or PAGE_SIZES[0][0])
