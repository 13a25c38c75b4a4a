"""Checks an uploaded evidence file by its content, not its name."""

import contextlib
import hashlib
import logging
import os
import threading
import uuid

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)

# Content type (as libmagic reads the bytes) -> file name endings allowed for it.
ALLOWED = {
    "application/pdf": {".pdf"},
    "application/msword": {".doc"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
    "image/gif": {".gif"},
    "image/tiff": {".tif", ".tiff"},
    "image/heic": {".heic"},
    "image/webp": {".webp"},
    "application/vnd.ms-outlook": {".msg"},
    "message/rfc822": {".eml"},
}
# libmagic names some Office/Outlook files generically; accept them only with the matching ending.
GENERIC = {
    "application/CDFV2": {".doc", ".msg"},
    "application/x-ole-storage": {".doc", ".msg"},
    "application/zip": {".docx"},
    "text/plain": {".eml"},
}
ALL_ENDINGS = set().union(*ALLOWED.values())
ALLOWED_DESCRIPTION = "PDF, Word, JPEG, PNG, GIF, TIFF, HEIC, WebP, Outlook .msg or .eml"


def sniff(upload) -> str:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    return magic.from_buffer(head, mime=True)


def validate_evidence(upload) -> str:
    """Return the content type, or raise ValidationError with a message for the person uploading."""
    name = upload.name or "file"
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(f"{name} is larger than 20 MB; send a smaller file")
    if upload.size == 0:
        raise ValidationError(f"{name} is empty")
    ending = os.path.splitext(name)[1].lower()
    content_type = sniff(upload)
    allowed_endings = ALLOWED.get(content_type) or GENERIC.get(content_type)
    if allowed_endings is None or ending not in ALL_ENDINGS:
        raise ValidationError(f"{name} is not an allowed type of file: upload a {ALLOWED_DESCRIPTION}")
    if ending not in allowed_endings:
        raise ValidationError(
            f"{name} does not contain what its name says: its content is not a {ending or 'known'} file"
        )
    if content_type == "text/plain" and not _looks_like_email(upload):
        raise ValidationError(f"{name} is not an email message")
    return content_type


def _looks_like_email(upload) -> bool:
    upload.seek(0)
    head = upload.read(4096).decode("utf-8", "replace").lower()
    upload.seek(0)
    return any(h in head for h in ("from:", "received:", "subject:", "message-id:"))


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_uploads(files) -> list[str]:
    """Check every file before any is saved: the content types in order, or one ValidationError that lists
    every refused file (so nothing is stored when one of several is refused)."""
    types, errors = [], []
    for upload in files:
        try:
            types.append(validate_evidence(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return types


# Files saved inside each open atomic_with_files() block, innermost last (one stack per thread).
_blocks = threading.local()


def _stack() -> list[list]:
    if not hasattr(_blocks, "stack"):
        _blocks.stack = []
    return _blocks.stack


def _delete(saved):
    for storage, name in saved:
        try:
            storage.delete(name)
        except OSError:  # the action is refused either way; say which file needs removing by hand
            logger.exception("Could not remove %s after the action that stored it was rolled back", name)


@contextlib.contextmanager
def atomic_with_files(using=None):
    """transaction.atomic() that also owns the files stored inside it with store_file(). Django has no hook
    for a rollback, so this block is the hook: if it ends with an exception (and so its rows are rolled back)
    the files are deleted too. Nested in another atomic_with_files() block, it hands its files to that block,
    which decides. Wrap every service that stores files with it, and every atomic block around such a service
    (core.views.submit and core.once do)."""
    saved: list = []
    stack = _stack()
    stack.append(saved)
    try:
        with transaction.atomic(using=using):
            yield
    except BaseException:
        stack.pop()
        _delete(saved)
        raise
    stack.pop()
    if stack:
        stack[-1].extend(saved)


def store_file(field_file, name, content):
    """Save `content` into a FileField (without saving the row) inside atomic_with_files(). The stored name is
    random, with the original ending: an uploaded file's name can hold a person's name, so it stays in the row
    (original_name, copy_name) and never reaches the file system or the logs."""
    stack = _stack()
    if not stack:
        raise RuntimeError("Store files inside core.evidence.atomic_with_files(), so a rollback removes them")
    ending = os.path.splitext(name or "")[1].lower()[:10]
    field_file.save(f"{uuid.uuid4().hex}{ending}", content, save=False)
    stack[-1].append((field_file.storage, field_file.name))
    return field_file.name


def save_checked_upload(instance, upload, *, uploaded_by, content_type: str | None = None):
    """Fill and save an evidence-like model (file, original_name, content_type, size, sha256, uploaded_by)
    from an upload, after checking it by content (pass `content_type` if check_uploads already did).
    Must run inside atomic_with_files()."""
    instance.content_type = content_type or validate_evidence(upload)
    instance.original_name = upload.name[:255]
    instance.size = upload.size
    instance.sha256 = sha256_of(upload)
    instance.uploaded_by = uploaded_by
    store_file(instance.file, upload.name, upload)
    instance.save()
    return instance


def save_checked_uploads(make_instance, files, *, uploaded_by, field: str) -> list:
    """Check every file, then save each into `make_instance()`; a refusal names the form field `field`."""
    try:
        types = check_uploads(files)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return [save_checked_upload(make_instance(), upload, uploaded_by=uploaded_by, content_type=content_type)
            for upload, content_type in zip(files, types, strict=True)]
