from crispy_forms_gds.choices import Choice
from django import forms

from concerns.models import Concern
from core.forms import GovFormMixin, MultipleFileField, date_field, yes_no_field
from core.rows import BaseRows, RowForm, RowsMixin

from .models import (
    EXTEND_HINT,
    LADDER,
    MEETING_NAME,
    OUTCOME_HINTS,
    OUTCOMES,
    ActionPlan,
    Level,
    PerformanceReview,
    PlanAction,
    Route,
)


class OpenCaseForm(GovFormMixin, forms.Form):
    level = forms.ChoiceField(label="Level to open the case at", widget=forms.RadioSelect,
                              error_messages={"required": "Choose the level to open the case at"})
    concerns = forms.ModelMultipleChoiceField(
        label="Concerns this case is about", queryset=Concern.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text="Concerns marked for further action and not on a case",
    )
    rationale = forms.CharField(
        label="Rationale", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
        help_text="Needed if you open the case at a level other than the one recommended (for example serious "
                  "safeguarding concerns, the provider closing the service, doubts about its viability), or "
                  "without a concern marked for further action",
    )
    jointly_commissioned = yes_no_field("Is the service jointly commissioned with the ICB?")

    def __init__(self, *args, provider=None, recommended=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            Choice(level.value, level.label, hint="Recommended by the latest risk assessment"
                   if level.value == recommended else "") for level in LADDER
        ]
        if recommended in Level.values:
            self.fields["level"].initial = recommended
        self.fields["concerns"].queryset = Concern.objects.filter(
            provider=provider, state=Concern.State.FURTHER_ACTION, case__isnull=True)


class MoveForm(GovFormMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                             error_messages={"required": "Enter the reason for this decision"})
    skip_rationale = forms.CharField(
        label="Rationale for skipping a step", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="A step may be skipped only with a clear rationale, for example serious safeguarding concerns")
    expected_level = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, skipping=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not skipping:
            del self.fields["skip_rationale"]


class AttendeeRow(RowForm):
    name = forms.CharField(label="Name", max_length=200)
    agency = forms.CharField(label="Agency", max_length=200, help_text="For example, Council CQT or the provider")

    def customise(self, who):
        self.fields["name"].error_messages["required"] = f"Enter the name of {who}"
        self.fields["agency"].error_messages["required"] = f"Enter the agency of {who}"


class AttendeeRows(BaseRows):
    form = AttendeeRow
    noun = "attendee"
    heading = "Attendees"
    start = 2
    min_rows = 1
    min_message = "Enter at least one attendee and their agency"
    after = "meeting_date"


class MeetingForm(RowsMixin, GovFormMixin, forms.Form):
    row_sets = {"attendees": AttendeeRows}
    meeting_date = date_field("Meeting date")
    provider_attended = yes_no_field("Did the provider attend?")
    minutes = forms.CharField(label="Minutes", widget=forms.Textarea(attrs={"rows": 6}), max_length=50000,
                              error_messages={"required": "Enter the minutes"})
    outcome = forms.ChoiceField(label="What did the meeting decide?", widget=forms.RadioSelect,
                                error_messages={"required": "Choose what the meeting decided"})
    outcome_notes = forms.CharField(label="Outcome notes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                    max_length=5000, help_text="Optional. For example, what was agreed and by when")
    documents = MultipleFileField(label="Documents", required=False,
                                  help_text="Optional. PDF, Word, images or emails, up to 20 MB each.")
    expected_level = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, level=Level.QA, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("expected_level", level)
        super().__init__(*args, **kwargs)
        self.fields["outcome"].label = f"What did the {MEETING_NAME[level]} decide?"
        self.fields["outcome"].choices = [
            Choice(o.value, o.label, hint=OUTCOME_HINTS.get((level, o), EXTEND_HINT)) for o in OUTCOMES[level]]


class PlanForm(GovFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Type of plan", widget=forms.RadioSelect,
                             choices=[c for c in ActionPlan.Kind.choices if c[0] != ActionPlan.Kind.IMPROVEMENT],
                             error_messages={"required": "Choose the type of plan",
                                             "invalid_choice": "An improvement plan is recorded from the suspension "
                                                               "route; choose a DAP or a CAP"})
    start_date = date_field("Start date")
    review_date = date_field("Review date")

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("review_date") and data["review_date"] < data["start_date"]:
            self.add_error("review_date", "The review date cannot be before the plan's start date")
        return data


class ActionForm(GovFormMixin, forms.Form):
    area_of_concern = forms.CharField(label="Area of concern", max_length=200,
                                      error_messages={"required": "Enter the area of concern"})
    action = forms.CharField(label="Action", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                             error_messages={"required": "Enter the action"})
    owner = forms.ChoiceField(label="Owner", widget=forms.RadioSelect, choices=PlanAction.Owner.choices,
                              error_messages={"required": "Choose who owns the action"})
    due_date = date_field("Due date")


class ActionUpdateForm(GovFormMixin, forms.Form):
    status = forms.ChoiceField(label="Status", widget=forms.RadioSelect, choices=PlanAction.Status.choices)
    evidence = forms.CharField(label="Evidence", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               max_length=10000)
    due_date = date_field("Due date")
    reason = forms.CharField(label="Reason for changing the due date", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ProgressNoteForm(GovFormMixin, forms.Form):
    note = forms.CharField(label="Progress note", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
                           error_messages={"required": "Enter the progress note"})


class ReviewForm(GovFormMixin, forms.Form):
    review_date = date_field("Review date")
    verdict = forms.ChoiceField(label="Verdict", widget=forms.RadioSelect, choices=PerformanceReview.Verdict.choices,
                                error_messages={"required": "Choose the verdict"})
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
                            error_messages={"required": "Enter the review's notes and reasons"})
    new_review_date = date_field("New review date", required=False,
                                 help_text="Only for ‘review timescales’. For example, 27 3 2026")


class LinkConcernForm(GovFormMixin, forms.Form):
    concern = forms.ModelChoiceField(label="Concern", queryset=Concern.objects.none(),
                                     error_messages={"required": "Choose a concern to link"})

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concern"].queryset = Concern.objects.filter(
            provider=case.provider, state=Concern.State.FURTHER_ACTION, case__isnull=True)


class ReopenForm(GovFormMixin, forms.Form):
    level = forms.ChoiceField(label="Level to reopen at", widget=forms.RadioSelect,
                              choices=[(lv.value, lv.label) for lv in LADDER],
                              error_messages={"required": "Choose the level"})
    reason = forms.CharField(label="Why is the case being reopened?", widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=5000, error_messages={"required": "Enter why the case is being reopened"})


class MemberRow(RowForm):
    name = forms.CharField(label="Name", max_length=200)
    role = forms.CharField(label="Role", max_length=200, required=False,
                           help_text="Optional. For example, chair, Finance or ICB")

    def customise(self, who):
        self.fields["name"].error_messages["required"] = f"Enter the name of {who}"


class MemberRows(BaseRows):
    form = MemberRow
    noun = "member"
    heading = "Members present"
    hint = "Needed for the first decision recorded for a meeting date. Leave a row empty to remove it."
    start = 3
    after = "meeting_date"

    def value(self) -> str:
        """The meeting keeps its members as one line of text: "Priya Sharma (chair); Dan Metcalfe"."""
        return "; ".join(f"{r['name']} ({r['role']})" if r.get("role") else r["name"] for r in self.filled())


def preselect_only_choice(form, name):
    """When only one answer is possible, it is chosen already (the person still sends the form to record it)."""
    choices = list(form.fields[name].choices)
    if len(choices) == 1:
        form.initial.setdefault(name, choices[0][0])


class SprgDecisionForm(RowsMixin, GovFormMixin, forms.Form):
    row_sets = {"members_present": MemberRows}
    decision = forms.ChoiceField(label="SPRG decision", widget=forms.RadioSelect,
                                 error_messages={"required": "Choose the SPRG's decision"})
    meeting_date = date_field("SPRG meeting date")
    notes = forms.CharField(label="Reasons and notes", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
                            error_messages={"required": "Enter the SPRG's reasons"})
    new_deadline = date_field("New Route 1 deadline", required=False,
                              help_text="Only when extending the deadline. For example, 27 3 2026")
    oversight_until = date_field("Greater initial oversight until", required=False,
                                 help_text="Only when the plan was fully complied with. For example, 27 3 2026")
    open_areas_reason = forms.CharField(
        label="Why lift while improvement-plan actions are still open", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Only for sufficient progress with open actions")
    expected_route = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = choices
        preselect_only_choice(self, "decision")


class ConditionRow(RowForm):
    condition = forms.CharField(label="Condition", max_length=1000)
    review_date = date_field("Review date")

    def customise(self, who):
        self.fields["condition"].error_messages["required"] = f"Enter {who}"
        self.fields["review_date"].label = "Review date"
        self.fields["review_date"].error_messages.update({
            "required": f"Enter the review date of {who}",
            "incomplete": f"Enter the review date of {who} in full: day, month and year"})


class ConditionRows(BaseRows):
    form = ConditionRow
    noun = "condition"
    heading = "Conditions and review dates"
    hint = "Only if the lifting is conditional. Leave a row empty to remove it."
    start = 1
    after = "conditional"


class ReportForm(RowsMixin, GovFormMixin, forms.Form):
    row_sets = {"conditions": ConditionRows}
    body = forms.CharField(label="Report", widget=forms.Textarea(attrs={"rows": 10}), max_length=50000,
                           help_text="The improvement plan as it stands is attached to the report automatically",
                           error_messages={"required": "Enter the report"})
    conditional = yes_no_field("Is the lifting conditional?")
    oversight_until = date_field("Greater initial oversight until", required=False)
    expected_route = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lifting=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not lifting:
            for name in ("conditional", "oversight_until"):
                del self.fields[name]
            self.drop_rows("conditions")


class DmtDecisionForm(GovFormMixin, forms.Form):
    endorsed = forms.TypedChoiceField(
        label="DMT's decision", widget=forms.RadioSelect, coerce=lambda v: v == "True",
        choices=[(True, "Endorsed"), (False, "Not endorsed")], error_messages={"required": "Choose DMT's decision"})
    rationale = forms.CharField(label="Rationale", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                max_length=10000, help_text="Required if not endorsed")
    return_to = forms.ChoiceField(
        label="If not endorsed, where does the case go?", widget=forms.RadioSelect, required=False,
        choices=[("restart", "Back to the start of Route 1 (new 4-week deadline)"),
                 ("extend", "Extend Route 1 monitoring to a new date")])
    new_deadline = date_field("Extended Route 1 deadline", required=False)
    report_version = forms.IntegerField(widget=forms.HiddenInput)
    expected_route = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, suspension=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not suspension:
            del self.fields["return_to"]
            del self.fields["new_deadline"]


class SignOffForm(GovFormMixin, forms.Form):
    capacity = forms.ChoiceField(label="Signing as", widget=forms.RadioSelect,
                                 error_messages={"required": "Choose the capacity you sign in"})
    confirm = forms.BooleanField(label="I have read this version of the report and sign it off",
                                 error_messages={"required": "Confirm you have read the report and sign it off"})
    report_version = forms.IntegerField(widget=forms.HiddenInput)
    expected_route = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, capacities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].choices = capacities
        preselect_only_choice(self, "capacity")


class NotificationDoneForm(GovFormMixin, forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=300,
                           help_text="For example, how and to whom the notification was sent")
    copy = forms.FileField(label="Copy of the notification", required=False,
                           help_text="Optional. PDF, Word, images or emails, up to 20 MB.")


class VisitForm(GovFormMixin, forms.Form):
    visit_date = date_field("Visit date")
    visited_by = forms.CharField(label="Visited by", max_length=200,
                                 error_messages={"required": "Enter who visited"})
    findings = forms.CharField(label="Findings", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000,
                               error_messages={"required": "Enter the findings"})


INVALID_FILTER = {"status": "Choose open, closed or ended, or all cases", "level": "Choose a level from the list",
                  "route": "Choose a suspension route from the list", "owner": "Choose an owner from the list"}


class CaseFilterForm(forms.Form):
    """The cases list's filters (a GET form: it changes nothing, so no one-time token)."""

    status = forms.ChoiceField(label="Cases", required=False, initial="open",
                               choices=[("open", "Open"), ("ended", "Closed or ended"), ("all", "All")])
    level = forms.ChoiceField(label="Level", required=False, choices=[("", "Any level")] + list(Level.choices))
    route = forms.ChoiceField(label="Suspension route", required=False,
                              choices=[("", "Any route")] + [c for c in Route.choices if c[0] != Route.NONE])
    owner = forms.ModelChoiceField(label="Owner", required=False, empty_label="Anyone",
                                   queryset=None)
    quiet = forms.IntegerField(label="No activity for at least (days)", required=False, min_value=1,
                               max_value=3650, widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                               error_messages={"invalid": "Enter a whole number of days",
                                               "min_value": "Enter at least 1 day",
                                               "max_value": "Enter no more than 3650 days"})

    sort = forms.ChoiceField(label="Sort by", required=False, initial="newest", choices=[
        ("newest", "Newest opened first"), ("oldest", "Oldest opened first"), ("provider", "Provider (A to Z)"),
        ("level", "Highest level first"), ("longest", "Longest at their level first")],
        error_messages={"invalid_choice": "Choose a sort order from the list"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import User

        for name, message in INVALID_FILTER.items():
            self.fields[name].error_messages["invalid_choice"] = message
        self.fields["owner"].queryset = User.objects.filter(owned_cases__isnull=False).distinct().order_by(
            "first_name", "last_name")

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"status": d.get("status") or "open", "level": d.get("level") or "", "route": d.get("route") or "",
                "owner": d.get("owner"), "quiet_days": d.get("quiet"), "sort": d.get("sort") or "newest"}
