from crispy_forms_gds.helper import FormHelper


class GovFormMixin:
    """Renders with the GOV.UK Design System look; the template adds the error summary and buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.form_show_errors = True
        self.helper.disable_csrf = True
