"""Lists of people or conditions entered as rows of small forms (Django formsets), in the GOV.UK look.

A form lists its row sets in `row_sets` ({"attendees": AttendeeRows}). Each row is a fieldset with a legend
("Attendee 1"); rows left empty are ignored; a row with a mistake gets a message naming the row, linked from the
error summary. "Add another attendee" is a submit button named `add_attendees`: the page is drawn again with one
more empty row and what was typed kept, nothing is checked or saved, and the form's one-time token is not used
(core.once), so the form can still be sent. Without JavaScript this works the same.

After validation `cleaned_data[name]` holds the row set's value: a list of dicts (one per filled row) unless the
row set's `value()` says otherwise, so services keep receiving plain data.
"""

from crispy_forms.layout import Layout, LayoutObject
from crispy_forms_gds.templatetags.crispy_forms_gds import field_errors
from django import forms
from django.forms.utils import ErrorDict, ErrorList
from django.template.loader import render_to_string

from .forms import GovFormMixin

MAX_ROWS = 30


class RowForm(GovFormMixin, forms.Form):
    """One row. It has no token of its own: the form it sits in carries one."""

    one_time = False

    def __init__(self, *args, number=1, noun="row", **kwargs):
        self.number = number
        self.noun = noun
        super().__init__(*args, **kwargs)
        self.customise(f"{noun} {number}")

    def customise(self, who: str):
        """Give the fields messages that name the row, e.g. "Enter the name of attendee 2"."""

    def full_clean(self):
        """Every message names its row: one that does not yet is put after "Attendee 2: "."""
        super().full_clean()
        who = f"{self.noun} {self.number}"
        for errors in (self._errors or {}).values():
            for i, message in enumerate(errors):
                if who not in str(message):
                    text = str(message)
                    errors[i] = f"{who.capitalize()}: {text[:1].lower()}{text[1:]}"


class BaseRows(forms.BaseFormSet):
    """A list of rows. Subclasses set `noun`, `heading`, `hint`, `start` (rows shown at first), `min_rows`."""

    noun = "row"
    heading = ""
    hint = "Leave a row empty to remove it."
    start = 1
    min_rows = 0
    min_message = ""
    after = None  # the field of the outer form the rows come after (None: at the end)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level_errors = ErrorList()
        self.error_messages.update({
            "missing_management_form": f"The list of {self.noun}s could not be read. Check your answers and send "
                                       "the form again.",
            "too_many_forms": f"Enter no more than {MAX_ROWS} {self.noun}s"})

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "number": (index or 0) + 1, "noun": self.noun}

    @property
    def add_name(self) -> str:
        return f"add_{self.prefix.replace('-', '_')}"

    def legend(self, index: int) -> str:
        return f"{self.noun.capitalize()} {index + 1}"

    def labelled_rows(self):
        return [(self.legend(i), form) for i, form in enumerate(self.forms)]

    def filled(self) -> list[dict]:
        """The rows someone typed in, as dicts (only after a successful is_valid())."""
        return [{k: v for k, v in form.cleaned_data.items()} for form in self.forms if form.cleaned_data]

    def value(self):
        return self.filled()

    def check(self) -> bool:
        """Validate; formset-level messages go to `level_errors`. True if the rows can be used."""
        self.level_errors = ErrorList()
        if not self.is_valid():
            self.level_errors.extend(self.non_form_errors())
            return False
        if len(self.filled()) < self.min_rows:
            self.level_errors.append(self.min_message or f"Enter at least {self.min_rows} {self.noun}")
            return False
        return True

    def messages(self) -> list[str]:
        out = list(self.level_errors)
        for form in self.forms:
            out.extend(e for errors in form.errors.values() for e in errors)
        return out

    def first_id(self) -> str:
        for form in self.forms:
            for field in form.visible_fields():
                return _field_id(field)
        return ""

    def error_links(self) -> list[tuple[str, str]]:
        links = [(self.first_id(), e) for e in self.level_errors]
        for form in self.forms:
            for field in form.visible_fields():
                links.extend(_field_links(field))
        return links

    def quiet(self):
        """Drawn again after "add another": show what was typed, check nothing."""
        self._errors = [ErrorDict() for _ in self.forms]
        self._non_form_errors = ErrorList()
        for form in self.forms:
            form._errors = ErrorDict()
            form.cleaned_data = {}


def _field_id(bound_field) -> str:
    """The id of the first control the field draws, which the error summary's link moves focus to: a date's day
    box, a radio group's or checkbox group's first option (the GOV.UK templates number options from 1), or
    the field itself."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.MultiWidget):
        return f"{bound_field.auto_id}_0"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_1"
    return bound_field.auto_id


def _field_links(bound_field) -> list[tuple[str, str]]:
    """(id, message) for the summary: the field's own messages link to its first control."""
    first = _field_id(bound_field)
    return [(first if fid == bound_field.auto_id else fid, e)
            for fid, errors in field_errors(bound_field) for e in errors]


def summary_links(form) -> list[tuple[str, str]]:
    """The error summary's (id, message) entries for any form, in the order of the page."""
    if hasattr(form, "error_links"):
        return form.error_links()
    visible = form.visible_fields()
    first = _field_id(visible[0]) if visible else ""
    links = [(first, e) for e in form.non_field_errors()]
    for field in visible:
        links.extend(_field_links(field))
    return links


def rows_factory(form, rows_class):
    return forms.formset_factory(form, formset=rows_class, extra=rows_class.start, max_num=MAX_ROWS,
                                 absolute_max=MAX_ROWS, validate_max=True)


class Rows(LayoutObject):
    """Where a form's row set is drawn among its fields."""

    def __init__(self, name):
        self.name = name
        self.fields = []

    def render(self, form, context, template_pack=None, **kwargs):
        rows = form.row_formsets.get(self.name)
        if rows is None:
            return ""
        return render_to_string("includes/rows.html", {"rows": rows, "can_add": rows.total_form_count() < MAX_ROWS})


class RowsMixin:
    """For a GovFormMixin form with row sets: put it before GovFormMixin in the bases."""

    row_sets: dict = {}
    adding_row = None  # the row set "add another" was pressed for

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_formsets = {}
        for name, rows_class in self.row_sets.items():
            formset_class = rows_factory(rows_class.form, rows_class)
            self.row_formsets[name] = formset_class(self.data if self.is_bound else None,
                                                    prefix=self.add_prefix(name))
        if self.is_bound:
            for name, rows in self.row_formsets.items():
                if rows.add_name in self.data:
                    self._add_row(name)
                    break

    def drop_rows(self, name):
        self.row_formsets.pop(name, None)

    def _add_row(self, name):
        rows = self.row_formsets[name]
        count = min(rows.total_form_count() + 1, MAX_ROWS)
        data = self.data.copy()
        data[f"{rows.prefix}-TOTAL_FORMS"] = str(count)
        data.pop(rows.add_name, None)
        self.data = data
        for other, rows in self.row_formsets.items():
            self.row_formsets[other] = rows.__class__(data, prefix=rows.prefix)
            self.row_formsets[other].quiet()
        self.adding_row = name
        self._errors = ErrorDict()  # nothing is checked, so the one-time token is neither read nor used
        self.cleaned_data = {}

    def is_valid(self):
        return self.adding_row is None and super().is_valid()

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or self.adding_row:
            return
        for name, rows in self.row_formsets.items():
            if rows.check():
                self.cleaned_data[name] = rows.value()
            else:
                self._errors[name] = self.error_class(rows.messages())
                self.cleaned_data.pop(name, None)

    def add_row_error(self, name, message):
        """A service's refusal about a row set (e.g. "Enter the members present"), shown at the rows."""
        rows = self.row_formsets[name]
        rows.level_errors.append(message)
        self._errors.setdefault(name, self.error_class()).append(message)
        self.cleaned_data.pop(name, None)

    def layout_names(self) -> list[str]:
        names = list(self.fields)
        for name, rows in self.row_formsets.items():
            at = names.index(rows.after) + 1 if rows.after in names else len(names)
            names.insert(at, name)
        return names

    def error_links(self) -> list[tuple[str, str]]:
        """The error summary's entries, in the order of the page."""
        visible = self.visible_fields()
        first = _field_id(visible[0]) if visible else ""
        links = [(first, e) for e in self.non_field_errors()]
        for name in self.layout_names():
            if name in self.row_formsets:
                links.extend(self.row_formsets[name].error_links())
            elif not self[name].is_hidden:
                links.extend(_field_links(self[name]))
        return links

    @property
    def helper(self):
        helper = super().helper
        if not getattr(helper, "_rows_laid_out", False):
            helper.layout = Layout(*[Rows(n) if n in self.row_formsets else n for n in self.layout_names()])
            helper._rows_laid_out = True
        return helper
