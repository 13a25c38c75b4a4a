"""Checks an uploaded evidence file by its content, not its name (issue 3, "bad input")."""

import hashlib
import os

import magic
from django.conf import settings
from django.core.exceptions import ValidationError

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


def save_checked_upload(instance, upload, *, uploaded_by):
    """Fill and save an evidence-like model (file, original_name, content_type, size, sha256, uploaded_by)
    from an upload, after checking it by content."""
    instance.content_type = validate_evidence(upload)
    instance.original_name = upload.name[:255]
    instance.size = upload.size
    instance.sha256 = sha256_of(upload)
    instance.uploaded_by = uploaded_by
    instance.file.save(upload.name, upload, save=False)
    instance.save()
    return instance
