"""People placed, their reviews when placements are suspended, the register of suspensions and closure plans
(docs/process.md, "People placed, closure plans and the register"; ADR 0029)."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from audit.models import Event
from concerns.models import Concern
from core import once
from deadlines.models import Deadline
from escalation import route_services as rs
from escalation.models import EscalationCase
from placements import services
from placements.models import (
    AuthorityNotice,
    ClosurePlan,
    ClosureResident,
    Placement,
    PlacementReview,
    PlacingAuthority,
    RegisterEntry,
)
from placements.selectors import current_episode, episodes
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def team(people):
    return {**people, "carer": UserFactory(roles=[roles.CARE_MANAGER]),
            "auditor": UserFactory(roles=[roles.AUDITOR])}


def ours():
    return PlacingAuthority.objects.get(is_this_council=True)


def neighbour():
    return PlacingAuthority.objects.filter(is_this_council=False).order_by("code").first()


def place(user, provider, n=3, authority=None):
    return [services.add_placement(user=user, provider_id=provider.pk, reference=f"CM-{1000 + i}",
                                   placing_authority=authority or ours(), funding="council") for i in range(n)]


def suspended_case(people, case=None):
    case = case or CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    case.refresh_from_db()
    return case


def lift(people, case):
    sprg(people, case, "sufficient_progress")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend lifting",
                    oversight_until=TODAY() + datetime.timedelta(days=60))
    version = EscalationCase.objects.get(pk=case.pk).current_report().version
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=version)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=version)
    case.refresh_from_db()
    return case


def failed_case(people):
    case = suspended_case(people)
    sprg(people, case, "provider_failed")
    case.refresh_from_db()
    return case


# --- people placed ----------------------------------------------------------------------------------------------

def test_authorities_and_the_care_manager_role_are_seeded():
    assert PlacingAuthority.objects.filter(is_this_council=True).count() == 1
    assert PlacingAuthority.objects.count() >= 4
    assert roles.CARE_MANAGER in roles.ALL_ROLES and roles.CARE_MANAGER in roles.ROLE_DESCRIPTIONS


@pytest.mark.parametrize("reference", ["ab", "CM 1001", "-CM1", "x" * 31, "CM_1001", ""])
def test_a_bad_reference_is_refused(team, reference):
    provider = ProviderFactory()
    with pytest.raises(ValidationError) as exc:
        services.add_placement(user=team["carer"], provider_id=provider.pk, reference=reference,
                               placing_authority=ours(), funding="council")
    assert "reference" in exc.value.error_dict
    assert not Placement.objects.exists()


def test_a_reference_is_unique_per_provider_and_stored_in_capitals(team):
    provider, other = ProviderFactory(), ProviderFactory()
    placement = services.add_placement(user=team["carer"], provider_id=provider.pk, reference="cm-77",
                                       placing_authority=ours(), funding="self_funder")
    assert placement.reference == "CM-77"
    with pytest.raises(ValidationError):
        services.add_placement(user=team["cqm"], provider_id=provider.pk, reference="CM-77",
                               placing_authority=ours(), funding="council")
    services.add_placement(user=team["cqm"], provider_id=other.pk, reference="CM-77", placing_authority=ours(),
                           funding="council")
    assert Placement.objects.count() == 2
    assert Event.objects.filter(kind="placement_added").count() == 2


@pytest.mark.parametrize("role", [roles.CONTRACT_OFFICER, roles.AUDITOR, roles.SPRG_MEMBER, None])
def test_only_care_managers_and_cqms_enter_placements(role):
    provider = ProviderFactory()
    user = UserFactory(roles=[role] if role else [])
    with pytest.raises(PermissionDenied):
        services.add_placement(user=user, provider_id=provider.pk, reference="CM-1", placing_authority=ours(),
                               funding="council")
    assert not Placement.objects.exists()


def _csv(rows, headings=("Reference", "Placing authority", "Funding type")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_an_import_with_any_bad_row_imports_nothing_and_reports_every_bad_row(team):
    provider = ProviderFactory()
    place(team["carer"], provider, n=1)  # CM-1000 is already on the list
    content = _csv([
        ["CM-2001", "NBC", "Council-funded"],
        ["bad ref!", "NBC", "council"],
        ["CM-2002", "Atlantis County", "council"],
        ["CM-2003", neighbour().name, "lottery"],
        ["CM-2001", "NBC", "council"],
        ["CM-1000", "NBC", "council"],
    ])
    report = services.import_placements(user=team["carer"], provider_id=provider.pk, content=content)
    assert not report.ok and report.imported == 0
    errors = {row.line: " ".join(row.errors) for row in report.bad_rows}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert "3 to 30 letters" in errors[3]
    assert "Unknown placing authority 'Atlantis County'" in errors[4]
    assert "Unknown funding type 'lottery'" in errors[5]
    assert "also on line 2" in errors[6]
    assert "already on the list" in errors[7]
    assert Placement.objects.filter(provider=provider).count() == 1
    assert not Event.objects.filter(kind="placements_imported").exists()


def test_a_good_import_saves_every_row_with_one_event(team):
    provider = ProviderFactory()
    content = _csv([["cm-1", "NBC", "Council-funded"], ["CM-2", neighbour().code.lower(), "other_council"],
                    ["CM-3", "NBC", "NHS Continuing Healthcare"], ["CM-4", "NBC", "self-funder"]])
    report = services.import_placements(user=team["carer"], provider_id=provider.pk,
                                        content=b"\xef\xbb\xbf" + content)
    assert report.ok and report.imported == 4
    assert sorted(Placement.objects.values_list("reference", "funding")) == [
        ("CM-1", "council"), ("CM-2", "other_council"), ("CM-3", "nhs_chc"), ("CM-4", "self_funder")]
    assert Event.objects.filter(kind="placements_imported").count() == 1


def test_an_import_without_the_columns_or_not_utf8_is_refused(team):
    provider = ProviderFactory()
    assert services.import_placements(user=team["carer"], provider_id=provider.pk,
                                      content=_csv([["CM-1"]], headings=("Reference",))).file_errors
    assert services.import_placements(user=team["carer"], provider_id=provider.pk,
                                      content="Reference,Placing authority,Funding type\nCM-\xe9,NBC,council\n"
                                      .encode("latin-1")).file_errors
    assert not Placement.objects.exists()


def test_the_import_page_lists_every_bad_row_in_the_error_summary(client, team):
    provider = ProviderFactory()
    client.force_login(team["carer"])
    page = client.get(f"/placements/providers/{provider.pk}/import/")
    assert page.status_code == 200
    token = once.issue(team["carer"])
    upload = SimpleUploadedFile("people.csv", _csv([["CM-1", "NBC", "council"], ["CM-2", "Nowhere", "council"],
                                                    ["x", "NBC", "council"]]), content_type="text/csv")
    response = client.post(f"/placements/providers/{provider.pk}/import/", {"file": upload, "form_token": token})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert "Nothing was imported" in html and "Line 3 (CM-2)" in html and "Line 4 (X)" in html
    assert not Placement.objects.exists()


# --- reviews ------------------------------------------------------------------------------------------------------

def test_reviews_start_only_when_suspended_and_each_has_a_deadline(team):
    case = CaseFactory(level="sosg", owner=team["cqm"])
    place(team["carer"], case.provider, n=3)
    with pytest.raises(PermissionDenied):
        services.start_reviews(user=team["carer"], case_id=case.pk)
    assert not PlacementReview.objects.exists()
    suspended_case(team, case)
    assert services.start_reviews(user=team["carer"], case_id=case.pk) == 3
    reviews = PlacementReview.objects.filter(case=case)
    assert reviews.count() == 3 and {r.status for r in reviews} == {"outstanding"}
    assert Deadline.objects.filter(case=case, kind=Deadline.Kind.PLACEMENT_REVIEW).count() == 3
    assert reviews.first().episode_start_id == current_episode(case).start_log_id
    # Again: nothing new to start, refused with a message; a person added later gets a review.
    with pytest.raises(ValidationError):
        services.start_reviews(user=team["carer"], case_id=case.pk)
    services.add_placement(user=team["carer"], provider_id=case.provider_id, reference="CM-9",
                           placing_authority=neighbour(), funding="other_council")
    assert services.start_reviews(user=team["cqm"], case_id=case.pk) == 1


def test_recording_a_review_meets_its_deadline_and_refuses_a_second_time(team):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=2)
    services.start_reviews(user=team["carer"], case_id=case.pk)
    review = PlacementReview.objects.filter(case=case).first()
    services.assign_review(user=team["cqm"], review_id=review.pk, assignee=team["carer"])
    with pytest.raises(ValidationError):
        services.assign_review(user=team["cqm"], review_id=review.pk, assignee=team["auditor"])
    details = dict(reviewed_on=TODAY(), welfare_checked=True, advocacy="offered", family_contact="contacted",
                   wishes="stay", notes="Settled.")
    services.record_review(user=team["carer"], review_id=review.pk, **details)
    review.refresh_from_db()
    assert review.status == "reviewed" and review.recorded_by == team["carer"]
    deadline = Deadline.objects.get(key=f"placement_review:{review.pk}:due")
    assert deadline.status == Deadline.Status.MET
    other = Deadline.objects.exclude(pk=deadline.pk).filter(kind=Deadline.Kind.PLACEMENT_REVIEW).get()
    assert other.status == Deadline.Status.OPEN
    with pytest.raises(ValidationError):
        services.record_review(user=team["carer"], review_id=review.pk, **details)


def test_a_future_review_date_is_refused_and_nothing_changes(team):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=1)
    services.start_reviews(user=team["carer"], case_id=case.pk)
    review = PlacementReview.objects.get(case=case)
    with pytest.raises(ValidationError):
        services.record_review(user=team["carer"], review_id=review.pk, reviewed_on=TODAY() + datetime.timedelta(1),
                               welfare_checked=True, advocacy="offered", family_contact="contacted", wishes="stay")
    review.refresh_from_db()
    assert review.status == "outstanding" and review.reviewed_on is None


@pytest.mark.parametrize("who", ["officer", "auditor", "sprg", "dass"])
def test_other_roles_cannot_start_assign_or_record_reviews(team, who):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=1)
    with pytest.raises(PermissionDenied):
        services.start_reviews(user=team[who], case_id=case.pk)
    services.start_reviews(user=team["carer"], case_id=case.pk)
    review = PlacementReview.objects.get()
    with pytest.raises(PermissionDenied):
        services.assign_review(user=team[who], review_id=review.pk, assignee=team["carer"])
    with pytest.raises(PermissionDenied):
        services.record_review(user=team[who], review_id=review.pk, reviewed_on=TODAY(), welfare_checked=True,
                               advocacy="offered", family_contact="contacted", wishes="stay")
    review.refresh_from_db()
    assert review.status == "outstanding" and review.assigned_to is None


def _restrict(case, people):
    concern = ConcernFactory(provider=case.provider, restricted=True, logged_by=people["cqm"],
                             description="SENTINEL-CONCERN-TEXT The manager locked the resident in the lounge "
                                         "overnight.")
    Concern.objects.filter(pk=concern.pk).update(case=case)
    return concern


def test_an_uncleared_care_manager_is_refused_on_a_restricted_case(team, client):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=1)
    _restrict(case, team)
    with pytest.raises(PermissionDenied):
        services.start_reviews(user=team["carer"], case_id=case.pk)
    assert not PlacementReview.objects.exists()
    client.force_login(team["carer"])
    assert client.get(f"/placements/cases/{case.pk}/reviews/").status_code == 403
    assert Event.objects.filter(kind="restricted_access_denied").exists()


def test_review_progress_on_the_case_page_and_the_reviews_page(team, client):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=3)
    services.start_reviews(user=team["carer"], case_id=case.pk)
    first, second, _ = PlacementReview.objects.filter(case=case)
    services.record_review(user=team["carer"], review_id=first.pk, reviewed_on=TODAY(), welfare_checked=True,
                           advocacy="not_needed", family_contact="none", wishes="stay")
    PlacementReview.objects.filter(pk=second.pk).update(due_date=TODAY() - datetime.timedelta(days=1))
    client.force_login(team["carer"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "1 reviewed, 2 outstanding, 1 overdue" in html and f"/placements/cases/{case.pk}/reviews/" in html
    html = client.get(f"/placements/cases/{case.pk}/reviews/").content.decode()
    assert "1 reviewed, 2 outstanding, 1 overdue" in html and "CM-1001" in html and "Overdue" in html


# --- the register -----------------------------------------------------------------------------------------------

def test_an_episode_has_its_at_risk_and_suspension_dates_and_route(team):
    case = lift(team, suspended_case(team))
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    assert episode.at_risk_from == TODAY() and episode.suspended_from == TODAY()
    assert episode.suspended_until == TODAY() and episode.ended_on == TODAY()
    assert episode.route == "green" and episode.outcome == "Suspension lifted"
    # A second episode on the same case starts with the next 'at risk' decision.
    sprg(team, case, "agree_at_risk")
    found = episodes(team["cqm"], case_ids=[case.pk])
    assert len(found) == 2 and found[0].is_current and found[0].route == "amber"


def test_a_public_summary_repeating_a_restricted_concern_is_refused(team):
    case = suspended_case(team)
    _restrict(case, team)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    for summary in ["Placements were suspended: the manager locked the resident in the lounge overnight, it said.",
                    "Because SENTINEL-CONCERN-TEXT was found.",
                    "THE MANAGER LOCKED THE RESIDENT IN THE lounge"]:
        with pytest.raises(ValidationError) as exc:
            services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                         public_summary=summary, internal_detail="", made_public=False)
        assert "public_summary" in exc.value.error_dict
    assert not RegisterEntry.objects.exists()
    entry = services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                         public_summary="Placements suspended after concerns about care at night.",
                                         internal_detail="SENTINEL-INTERNAL-DETAIL", made_public=True,
                                         made_public_on=TODAY())
    assert entry.made_public and entry.made_public_on == TODAY()


def test_a_public_summary_may_not_repeat_anything_written_on_a_restricted_case(team):
    """On a restricted case every record is hidden from people not cleared for it: reports, SPRG decisions,
    minutes, plans. On a case with nothing restricted, the same words may be published."""
    from escalation.models import CaseMeeting, DecisionReport, SprgDecision

    written = {"report": "The home could not show that night staff had been trained in moving residents safely.",
               "sprg": "Members agreed the family of the resident in room nine had complained twice.",
               "minutes": "The deputy manager admitted the call bell log was filled in afterwards."}
    for restricted in (False, True):
        case = suspended_case(team)
        DecisionReport.objects.filter(case=case).update(body=written["report"])
        SprgDecision.objects.filter(case=case).update(notes=written["sprg"])
        CaseMeeting.objects.create(case=case, level=case.level, meeting_date=TODAY(), attendees=[],
                                   provider_attended=True, minutes=written["minutes"], recorded_by=team["cqm"])
        if restricted:
            _restrict(case, team)
        [episode] = episodes(team["cqm"], case_ids=[case.pk])
        for text in written.values():
            summary = f"Placements were suspended. {text}"
            if restricted:
                with pytest.raises(ValidationError) as exc:
                    services.save_register_entry(user=team["cqm"], case_id=case.pk,
                                                 episode_start_id=episode.start_log_id, public_summary=summary,
                                                 internal_detail="", made_public=False)
                assert "public_summary" in exc.value.error_dict, text
            else:
                services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                             public_summary=summary, internal_detail="", made_public=False)


def test_made_public_needs_a_date_and_only_cqms_keep_the_register(team):
    case = suspended_case(team)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    with pytest.raises(ValidationError):
        services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                     public_summary="Suspended.", internal_detail="", made_public=True)
    for who in ("carer", "officer", "auditor"):
        with pytest.raises(PermissionDenied):
            services.save_register_entry(user=team[who], case_id=case.pk, episode_start_id=episode.start_log_id,
                                         public_summary="Suspended.", internal_detail="", made_public=False)
    assert not RegisterEntry.objects.exists()


def _read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_summary_that_repeats_text_restricted_after_it_was_saved_is_withheld(team, client):
    """Checked when saved, and again whenever the register is shown: a concern may become restricted later."""
    case = suspended_case(team)
    concern = ConcernFactory(provider=case.provider, logged_by=team["cqm"],
                             description="Staff left a resident on the floor for an hour after a fall.")
    Concern.objects.filter(pk=concern.pk).update(case=case)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    summary = "Placements stopped: staff left a resident on the floor for an hour after a fall."
    services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                 public_summary=summary, internal_detail="", made_public=False)
    client.force_login(team["officer"])
    assert summary in client.get("/placements/register/").content.decode()
    Concern.objects.filter(pk=concern.pk).update(restricted=True)  # restricted after the summary was written
    page = client.get("/placements/register/").content.decode()
    assert "left a resident on the floor" not in page and "must rewrite it" in page
    [row] = _read_csv(client.get("/placements/register/?format=csv"))
    assert row["public_summary"].startswith("Withheld") and "floor" not in row["public_summary"]


def test_a_summary_is_withheld_when_a_case_it_was_reopened_from_becomes_restricted(team, client):
    """Restricted by lineage, as the clearance rule says: the reopened case carries on the old one."""
    case = suspended_case(team)
    old = CaseFactory(level="closed", owner=team["cqm"], provider=case.provider)
    EscalationCase.objects.filter(pk=case.pk).update(reopened_from=old)
    concern = ConcernFactory(provider=case.provider, logged_by=team["cqm"],
                             description="A resident was given another resident's tablets at teatime.")
    Concern.objects.filter(pk=concern.pk).update(case=old)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    summary = "Suspended because a resident was given another resident's tablets at teatime."
    services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                 public_summary=summary, internal_detail="", made_public=False)
    Concern.objects.filter(pk=concern.pk).update(restricted=True)
    client.force_login(team["officer"])
    page = client.get("/placements/register/").content.decode()
    assert "teatime" not in page and "must rewrite it" in page


def test_an_agency_named_at_a_restricted_cases_meeting_may_be_named_in_a_summary(team):
    from escalation.models import CaseMeeting

    case = suspended_case(team)
    CaseMeeting.objects.create(case=case, level=case.level, meeting_date=TODAY(), provider_attended=True,
                               attendees=[{"name": "Ann Lee", "agency": "Safeguarding Adults Team"}],
                               minutes="Discussed.", recorded_by=team["cqm"])
    _restrict(case, team)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                 public_summary="Placements were suspended while the home worked with the "
                                                "Safeguarding Adults Team.", internal_detail="", made_public=False)


def test_restricted_text_never_reaches_the_public_register_page_or_csv(team, client):
    case = suspended_case(team)
    concern = _restrict(case, team)
    EscalationCase.objects.filter(pk=case.pk).update(opening_rationale="SENTINEL-CASE-RATIONALE")
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                 public_summary="Placements suspended while care improves.",
                                 internal_detail="SENTINEL-INTERNAL-DETAIL", made_public=False)
    sentinels = ("SENTINEL-CONCERN-TEXT", "SENTINEL-CASE-RATIONALE", "SENTINEL-INTERNAL-DETAIL")
    for who in ("cqm", "carer", "officer", "auditor", "sprg", "dass"):
        client.force_login(team[who])
        page = client.get("/placements/register/").content.decode()
        public_csv = client.get("/placements/register/?format=csv")
        assert public_csv.status_code == 200
        [row] = _read_csv(public_csv)
        assert row["public_summary"] == "Placements suspended while care improves."
        assert row["suspended_from"] == TODAY().isoformat() and row["at_risk_from"] == TODAY().isoformat()
        for text in (page, public_csv.content.decode()):
            assert "SENTINEL-CONCERN-TEXT" not in text and "SENTINEL-CASE-RATIONALE" not in text
        internal = client.get("/placements/register/internal.csv").content.decode()
        assert "SENTINEL-CONCERN-TEXT" not in internal and "SENTINEL-CASE-RATIONALE" not in internal
        if who == "cqm":  # cleared: the positive control
            assert "SENTINEL-INTERNAL-DETAIL" in page and "SENTINEL-INTERNAL-DETAIL" in internal
            assert "SENTINEL-INTERNAL-DETAIL" not in public_csv.content.decode()
        else:
            assert not any(s in page for s in sentinels), who
            assert "SENTINEL-INTERNAL-DETAIL" not in internal and "Restricted" in internal
            assert "Internal detail: restricted" in page and case.reference in page
    client.logout()
    assert client.get("/placements/register/?format=csv").status_code in (302, 403)
    assert concern.restricted


def test_register_filters_and_csv_cells_are_formula_safe(team, client):
    case = suspended_case(team)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                 public_summary="=HYPERLINK(\"http://x\")", internal_detail="", made_public=False)
    client.force_login(team["cqm"])
    [row] = _read_csv(client.get("/placements/register/?format=csv"))
    assert row["public_summary"].startswith("'=")
    assert len(_read_csv(client.get("/placements/register/?format=csv&made_public=yes"))) == 0
    assert len(_read_csv(client.get("/placements/register/?format=csv&route=red"))) == 1
    assert len(_read_csv(client.get(f"/placements/register/?format=csv&year={TODAY().year - 3}"))) == 0
    bad = client.get("/placements/register/?route=purple")
    assert bad.status_code == 400 and "Choose a route from the list" in bad.content.decode()
    # A CSV asked for with a bad filter is not everything: the page says what is wrong.
    for url in ("/placements/register/?format=csv&route=purple", "/placements/register/internal.csv?year=1066"):
        bad = client.get(url)
        assert bad.status_code == 400 and "text/html" in bad["Content-Type"]
        assert "There is a problem" in bad.content.decode()


# --- closure plans ----------------------------------------------------------------------------------------------

def test_a_closure_plan_opens_only_after_provider_failure(team):
    case = suspended_case(team)
    with pytest.raises(PermissionDenied):
        services.open_closure_plan(user=team["cqm"], case_id=case.pk)
    assert not ClosurePlan.objects.exists()


def test_a_closure_plan_tracks_every_move_and_refuses_to_close_with_moves_not_recorded(team):
    case = CaseFactory(level="sosg", owner=team["cqm"])
    place(team["carer"], case.provider, n=2)
    other = services.add_placement(user=team["carer"], provider_id=case.provider_id, reference="OC-1",
                                   placing_authority=neighbour(), funding="other_council")
    failed = suspended_case(team, case)
    sprg(team, failed, "provider_failed")
    with pytest.raises(PermissionDenied):
        services.open_closure_plan(user=team["carer"], case_id=case.pk)
    plan = services.open_closure_plan(user=team["cqm"], case_id=case.pk)
    assert plan.residents.count() == 3
    assert [n.authority for n in plan.notices.all()] == [neighbour()]
    assert Deadline.objects.filter(case=case, kind=Deadline.Kind.CLOSURE_PLAN, status="open").count() == 2
    first, second, third = ClosureResident.objects.filter(plan=plan).order_by("placement__reference")
    services.update_resident(user=team["carer"], resident_id=first.pk, status="moving")
    with pytest.raises(ValidationError):  # moved needs a date and a new provider
        services.update_resident(user=team["carer"], resident_id=second.pk, status="moved", move_date=TODAY())
    new_home = ProviderFactory()
    services.update_resident(user=team["carer"], resident_id=second.pk, status="moved", move_date=TODAY(),
                             new_provider=new_home)
    with pytest.raises(ValidationError) as exc:
        services.close_closure_plan(user=team["cqm"], plan_id=plan.pk)
    assert "CM-1000" in str(exc.value) and "OC-1" in str(exc.value) and "CM-1001" not in str(exc.value)
    plan.refresh_from_db()
    assert plan.is_open and Placement.objects.active().count() == 3
    services.update_resident(user=team["cqm"], resident_id=first.pk, status="moved", move_date=TODAY(),
                             new_provider_elsewhere="Seaview House, Blackpool")
    services.update_resident(user=team["cqm"], resident_id=third.pk, status="staying")
    notice = AuthorityNotice.objects.get(plan=plan)
    services.record_authority_notified(user=team["carer"], notice_id=notice.pk, notified_on=TODAY())
    with pytest.raises(PermissionDenied):
        services.close_closure_plan(user=team["carer"], plan_id=plan.pk)
    services.close_closure_plan(user=team["cqm"], plan_id=plan.pk)
    plan.refresh_from_db()
    assert not plan.is_open
    assert set(Placement.objects.active().values_list("reference", flat=True)) == {other.reference}
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.CLOSURE_PLAN, status="open").exists()
    assert Event.objects.filter(kind="closure_plan_closed").count() == 1


def test_the_closure_plan_page_lists_moves_not_recorded(team, client):
    case = failed_case(team)
    place(team["carer"], case.provider, n=2)
    services.open_closure_plan(user=team["cqm"], case_id=case.pk)
    client.force_login(team["carer"])
    html = client.get(f"/placements/cases/{case.pk}/closure-plan/").content.decode()
    assert "Moves not recorded yet: CM-1000, CM-1001" in html
    assert f"/placements/cases/{case.pk}/closure-plan/" in client.get(f"/cases/{case.pk}/").content.decode()


# --- pages: roles and query counts ------------------------------------------------------------------------------

def test_pages_refuse_people_without_the_role(team, client):
    case = suspended_case(team)
    client.force_login(UserFactory(roles=[]))
    for url in ("/placements/", f"/placements/providers/{case.provider_id}/", "/placements/register/",
                f"/placements/cases/{case.pk}/reviews/", f"/placements/providers/{case.provider_id}/add/"):
        assert client.get(url).status_code == 403, url
    client.force_login(team["officer"])
    assert client.get(f"/placements/providers/{case.provider_id}/add/").status_code == 403
    assert client.get(f"/placements/cases/{case.pk}/reviews/start/").status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_pages_run_a_fixed_number_of_queries(team, client):
    case = suspended_case(team)
    place(team["carer"], case.provider, n=2)
    services.start_reviews(user=team["carer"], case_id=case.pk)
    client.force_login(team["carer"])
    urls = ["/placements/", "/placements/register/", f"/placements/providers/{case.provider_id}/",
            f"/placements/cases/{case.pk}/reviews/"]
    before = {url: _queries(client, url) for url in urls}
    for _ in range(3):
        more = CaseFactory(level="sosg", owner=team["cqm"])
        suspended_case(team, more)
        place(team["carer"], more.provider, n=2)
    for i in range(6):
        services.add_placement(user=team["carer"], provider_id=case.provider_id, reference=f"MORE-{i}",
                               placing_authority=neighbour(), funding="joint")
    services.start_reviews(user=team["carer"], case_id=case.pk)
    after = {url: _queries(client, url) for url in urls}
    assert after == before, (before, after)
    assert max(after.values()) <= 14, after


def _post(client, user, url, data):
    return client.post(url, {**data, "form_token": once.issue(user)})


def test_closure_plan_pages_show_bad_input_and_the_refusal_on_the_page(team, client):
    case = failed_case(team)
    place(team["carer"], case.provider, n=2)
    client.force_login(team["cqm"])
    assert _post(client, team["cqm"], f"/placements/cases/{case.pk}/closure-plan/open/", {}).status_code == 302
    plan = ClosurePlan.objects.get(case=case)
    first = plan.residents.order_by("placement__reference").first()
    response = _post(client, team["cqm"], f"/placements/closure-plan/residents/{first.pk}/",
                     {"status": "moved", "move_date_0": "", "move_date_1": "", "move_date_2": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "Enter the date of the move" in html
    first.refresh_from_db()
    assert first.status == "moving"
    response = _post(client, team["cqm"], f"/placements/cases/{case.pk}/closure-plan/close/", {})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert "is not recorded: CM-1000, CM-1001" in html
    plan.refresh_from_db()
    assert plan.is_open
    client.force_login(team["officer"])  # may read, may not change
    assert client.get(f"/placements/cases/{case.pk}/closure-plan/").status_code == 200
    assert _post(client, team["officer"], f"/placements/closure-plan/residents/{first.pk}/",
                 {"status": "staying"}).status_code == 403
    first.refresh_from_db()
    assert first.status == "moving"


def test_the_register_entry_page_refuses_restricted_text_in_the_error_summary(team, client):
    case = suspended_case(team)
    _restrict(case, team)
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    url = f"/placements/register/cases/{case.pk}/episodes/{episode.start_log_id}/"
    client.force_login(team["cqm"])
    response = _post(client, team["cqm"], url, {
        "public_summary": "It was found that the manager locked the resident in the lounge overnight.",
        "internal_detail": "", "made_public": "False"})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "repeats words from a" in html
    assert not RegisterEntry.objects.exists()
    client.force_login(team["carer"])
    assert client.get(url).status_code == 403


def test_the_new_provider_is_typed_as_its_cqc_location_id_not_chosen_from_every_provider(team, client):
    case = failed_case(team)
    place(team["carer"], case.provider, n=1)
    plan = services.open_closure_plan(user=team["cqm"], case_id=case.pk)
    resident = plan.residents.get()
    new_home = ProviderFactory(name="Seaview Lodge")
    for i in range(5):
        ProviderFactory(name=f"Elsewhere Manor {i}")
    url = f"/placements/closure-plan/residents/{resident.pk}/"
    client.force_login(team["cqm"])
    html = client.get(url).content.decode()
    assert "Elsewhere Manor" not in html and "Seaview Lodge" not in html  # no list of every provider
    moved = {"status": "moved", "move_date_0": TODAY().day, "move_date_1": TODAY().month,
             "move_date_2": TODAY().year, "new_provider_elsewhere": ""}
    for location_id, words in (("1-000000000", "No provider on the register has the CQC location ID 1-000000000"),
                               (case.provider.cqc_location_id, "cannot be the one that is closing")):
        response = _post(client, team["cqm"], url, {**moved, "new_provider": location_id})
        html = response.content.decode()
        assert response.status_code == 200 and "govuk-error-summary" in html and words in html
        resident.refresh_from_db()
        assert resident.status == "moving" and resident.new_provider is None
    response = _post(client, team["cqm"], url, {**moved, "new_provider": f" {new_home.cqc_location_id} "})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.status == "moved" and resident.new_provider == new_home
    assert new_home.cqc_location_id in client.get(url).content.decode()  # shown again as typed
    assert "Seaview Lodge" in client.get(f"/placements/cases/{case.pk}/closure-plan/").content.decode()


def test_an_import_with_cr_line_endings_is_read_and_an_unreadable_csv_is_refused_on_the_page(team, client):
    provider = ProviderFactory()
    content = b"Reference,Placing authority,Funding type\rCM-1,NBC,council\rCM-2,NBC,council\r"
    report = services.import_placements(user=team["carer"], provider_id=provider.pk, content=content)
    assert report.ok and report.imported == 2
    client.force_login(team["carer"])
    huge = _csv([["CM-3", "NBC", "x" * 200_000]])
    response = client.post(f"/placements/providers/{provider.pk}/import/", {
        "file": SimpleUploadedFile("people.csv", huge, content_type="text/csv"),
        "form_token": once.issue(team["carer"])})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "could not be read as CSV" in html
    assert Placement.objects.filter(provider=provider).count() == 2


def test_a_public_summary_repeating_a_restricted_concerns_risk_assessment_note_is_refused(team):
    from concerns.models import RiskAssessment, RiskMatrix

    case = suspended_case(team)
    concern = _restrict(case, team)
    RiskAssessment.objects.create(provider=case.provider, concern=concern, engagement=0, impact=0,
                                  matrix=RiskMatrix.current(), recommended_level="sosg", level="sosg",
                                  assessed_by=team["cqm"], notes="Night staff were asleep on duty.",
                                  override_reason="Room RM-4471 was left unlocked.")
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    for summary in ("Placements suspended: night staff were asleep on duty.", "Placements suspended (RM-4471)."):
        with pytest.raises(ValidationError) as exc:
            services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                         public_summary=summary, internal_detail="", made_public=False)
        assert "public_summary" in exc.value.error_dict
    assert not RegisterEntry.objects.exists()


def test_a_public_summary_repeating_the_rationale_of_the_case_it_was_reopened_from_is_refused(team):
    parent = CaseFactory(level="closed", owner=team["cqm"],
                         opening_rationale="Residents were left without food overnight. RM-5512 was involved.")
    case = suspended_case(team, CaseFactory(level="sosg", owner=team["cqm"], provider=parent.provider,
                                            reopened_from=parent, opening_rationale="Reopened."))
    _restrict(parent, team)  # the reopened case is restricted too
    [episode] = episodes(team["cqm"], case_ids=[case.pk])
    with pytest.raises(ValidationError) as exc:
        services.save_register_entry(user=team["cqm"], case_id=case.pk, episode_start_id=episode.start_log_id,
                                     public_summary="Suspended: residents were left without food overnight.",
                                     internal_detail="", made_public=False)
    assert "public_summary" in exc.value.error_dict
    assert not RegisterEntry.objects.exists()
