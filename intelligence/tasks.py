"""Background work for intelligence. Thin: the work is in intelligence.services."""

from celery import shared_task


@shared_task(acks_late=True)
def run_ratings_import(job_id: int) -> str:
    """Check and save one CQC ratings import (queued after commit). Running it again is safe."""
    from . import services

    return services.run_ratings_import(job_id=job_id).status


@shared_task
def fetch_cqc_ratings() -> int | None:
    """The scheduled import (beat): fetch CQC_RATINGS_URL when it is set."""
    from . import services

    job = services.fetch_scheduled_ratings()
    return job.pk if job else None


@shared_task
def evaluate_triggers() -> int:
    """Run the early-warning trigger rules (beat). Idempotent: a second run raises nothing new."""
    from . import services

    return len(services.evaluate_triggers())


@shared_task
def compute_visit_programme() -> int:
    """Recompute every provider's next routine visit (beat, nightly). Idempotent."""
    from . import services

    return services.compute_visit_programme()["changed"]


@shared_task
def remind_cqc_meeting_due() -> int:
    """Remind the CQMs that the next information-sharing meeting with CQC is due (beat, daily). Idempotent."""
    from . import services

    return services.remind_cqc_meeting_due()
