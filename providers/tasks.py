"""Background work for the provider register. Thin: the work is in providers.services."""

from celery import shared_task


@shared_task(acks_late=True)
def run_import(job_id: int) -> str:
    """Check and save one CSV import (queued by services.start_import after commit). Running it again is safe."""
    from . import services

    return services.run_import(job_id=job_id).status
