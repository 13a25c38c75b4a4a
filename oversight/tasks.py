"""Background work for oversight. Thin: the work is in oversight.services."""

from celery import shared_task


@shared_task(acks_late=True)
def build_pack(job_id: int) -> str:
    """Build one meeting pack (queued by services.request_pack after commit). Running it again is safe."""
    from . import services

    return services.build_pack(job_id=job_id).status


@shared_task
def forget_old_packs() -> int:
    """Daily: delete the PDFs of packs for meetings long past."""
    from . import services

    return services.forget_old_packs()
