from .models import ImportJob


def recent_imports(limit: int = 10):
    """The latest CSV imports, newest first, without their files."""
    return ImportJob.objects.defer("content").select_related("started_by")[:limit]
