"""Demo data for people placed, reviews, the register and a closure plan, built through the services (called by
`seed_demo` once the escalation history exists). References only: no names of people placed."""

import datetime

from django.utils import timezone

from concerns.permissions import is_cleared_for_case
from escalation.models import EscalationCase, Level, Route
from providers.models import PlacementStatus, Provider

from . import selectors, services
from .models import AuthorityNotice, ClosureResident, PlacingAuthority

# (reference, authority code, funding) for the suspended home: council-funded, other councils, NHS CHC,
# self-funders and joint funding, as a real home would have.
SUSPENDED_HOME = [
    ("NBC-204311", "NBC", "council"), ("NBC-204318", "NBC", "council"), ("NBC-219902", "NBC", "joint"),
    ("EBC-77120", "EBC", "other_council"), ("WDC-3310-A", "WDC", "other_council"), ("CHC-55102", "NBC", "nhs_chc"),
    ("SF-0042", "NBC", "self_funder"), ("SF-0057", "NBC", "self_funder"),
]
FAILED_HOME = [("NBC-190027", "NBC", "council"), ("NBC-190031", "NBC", "council"),
               ("SCC-88213", "SCC", "other_council"), ("SF-0019", "NBC", "self_funder")]


def _add(user, provider, rows):
    authorities = {a.code: a for a in PlacingAuthority.objects.all()}
    for reference, code, funding in rows:
        services.add_placement(user=user, provider_id=provider.pk, reference=reference,
                               placing_authority=authorities[code], funding=funding)


def build(users) -> None:
    care_manager, cqm = users["caremanager"], users["cqm"]
    today = timezone.localdate()
    suspended = EscalationCase.objects.filter(route=Route.SUSPENDED).select_related("provider").order_by("pk").first()
    if suspended is not None:
        _add(care_manager, suspended.provider, SUSPENDED_HOME)
        services.start_reviews(user=cqm, case_id=suspended.pk)
        reviewer = care_manager if is_cleared_for_case(care_manager, suspended) else cqm
        outcomes = [("not_needed", "contacted", "stay"), ("offered", "contacted", "move"),
                    ("has_advocate", "none", "undecided")]
        reviews = list(suspended.placement_reviews.order_by("placement__reference"))
        for review, (advocacy, family, wishes) in zip(reviews, outcomes, strict=False):
            services.assign_review(user=cqm, review_id=review.pk, assignee=reviewer)
            services.record_review(user=reviewer, review_id=review.pk, reviewed_on=today, welfare_checked=True,
                                   advocacy=advocacy, family_contact=family, wishes=wishes,
                                   notes="Seen in their room with the key worker present.")
        for review in reviews[3:5]:
            services.assign_review(user=cqm, review_id=review.pk, assignee=reviewer)
    lifted = EscalationCase.objects.filter(route=Route.OVERSIGHT).order_by("pk").first()
    for case, made_public in ((lifted, True), (suspended, False)):
        if case is None:
            continue
        episode = next(iter(selectors.episodes(cqm, case_ids=[case.pk])), None)
        if episode is None:
            continue
        services.save_register_entry(
            user=cqm, case_id=case.pk, episode_start_id=episode.start_log_id,
            public_summary=("The council stopped new placements with this provider while it put right problems "
                            "found in the quality of care. People already living there were reviewed."),
            internal_detail="See the case record for the SPRG's reasons and the improvement plan.",
            made_public=made_public, made_public_on=(today - datetime.timedelta(days=7)) if made_public else None)
    failed = (EscalationCase.objects.filter(level=Level.PROVIDER_FAILURE) | EscalationCase.objects.filter(
        route=Route.PROVIDER_FAILURE)).select_related("provider").order_by("pk").first()
    if failed is not None:
        _add(care_manager, failed.provider, FAILED_HOME)
        plan = services.open_closure_plan(user=cqm, case_id=failed.pk)
        residents = list(ClosureResident.objects.filter(plan=plan).order_by("placement__reference"))
        updater = care_manager if is_cleared_for_case(care_manager, failed) else cqm
        services.update_resident(user=updater, resident_id=residents[0].pk, status="moved", move_date=today,
                                 new_provider=Provider.objects.exclude(pk=failed.provider_id)
                                 .filter(placement_status=PlacementStatus.OPEN).order_by("name").first())
        services.update_resident(user=updater, resident_id=residents[1].pk, status="moving")
        notice = AuthorityNotice.objects.filter(plan=plan).first()
        if notice is not None:
            services.record_authority_notified(user=updater, notice_id=notice.pk, notified_on=today)
