from django import forms

from core.forms import GovFormMixin

from .models import Provider


class ProviderForm(GovFormMixin, forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["cqc_location_id", "name", "address", "town", "postcode", "service_types", "registered_manager"]
        help_texts = {
            "cqc_location_id": "As shown on the CQC website, for example 1-123456789",
            "service_types": "For example: Residential homes, Nursing homes",
        }
        error_messages = {
            "cqc_location_id": {
                "required": "Enter the CQC location ID",
                "unique": "A provider with this CQC location ID is already on the register",
            },
            "name": {"required": "Enter the provider's name"},
            "address": {"required": "Enter the address"},
            "postcode": {"required": "Enter the postcode"},
        }

    def clean_postcode(self):
        return " ".join(self.cleaned_data["postcode"].upper().split())


MAX_CSV_BYTES = 5 * 1024 * 1024


class ProviderImportForm(GovFormMixin, forms.Form):
    csv_file = forms.FileField(
        label="CSV file from the CQC care directory",
        help_text="Columns: CQC Location ID, Name, Address, Postcode, Service types, Registered manager",
        error_messages={"required": "Choose a CSV file to import"},
    )

    def clean_csv_file(self):
        f = self.cleaned_data["csv_file"]
        if f.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The CSV file must be smaller than 5 MB")
        return f
