"""Private file storage: evidence and reports, which no URL serves.

Evidence and reports are streamed only by views that check scope and write an access event, so
both storages refuse to produce a URL at all: a template that tried ``{{ file.url }}`` would fail
loudly instead of linking to a path that a misconfigured web server might serve, or handing out
a pre-signed link to the bucket that works for anyone who has it, unlogged, for an hour.

- ``PrivateFileSystemStorage``, the default: files on this host's disk (``PRIVATE_MEDIA_ROOT``).
- ``PrivateS3Storage``, when ``OBJECT_STORAGE_BUCKET`` is set: objects in an S3-compatible bucket
  (AWS S3, MinIO, SeaweedFS, Ceph...), so web and workers on several hosts share them
  (docs/operations.md, "More than one host"). Objects carry no ACL (the bucket's own private
  default applies), are never overwritten, may be encrypted at rest by the server, and are
  stored as opaque bytes: the type a browser declared for an upload is not kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

NO_URL = "private files have no URL: serve them through a scoped view"

# Server-side encryption a bucket may be asked for: SSE-S3 (the server's own keys) or SSE-KMS
# (the bucket's default KMS key).
ENCRYPTIONS = ("", "AES256", "aws:kms")


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise ValueError(NO_URL)


class PrivateS3Storage(S3Storage):
    """Private files as objects in one bucket, never addressed by URL.

    Options (``STORAGES["default"]["OPTIONS"]``, from the ``OBJECT_STORAGE_*`` variables):
    ``bucket_name``, ``endpoint_url``, ``access_key``, ``secret_key``, ``region_name`` and
    ``encryption`` (one of ``ENCRYPTIONS``). Reading a file (``storage.open``) fetches the object
    into a temporary file, in memory up to ``max_memory_size`` and on local disk beyond, which
    the download views then stream out in blocks.
    """

    # Class attributes win over django-storages' AWS_* settings; the checks in __init__ refuse
    # options that would undo them.
    default_acl = None
    querystring_auth = True
    file_overwrite = False
    max_memory_size = 2 * 1024 * 1024
    encryption = ""

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "encryption": ""}

    def __init__(self, **options: Any) -> None:
        if options.get("client_config") is None:
            from botocore.config import Config

            options["client_config"] = Config(
                signature_version="s3v4",
                # Path-style addressing (endpoint/bucket/key) is what every S3-compatible server
                # answers; AWS itself picks its own style when no endpoint is given.
                s3={"addressing_style": "path" if options.get("endpoint_url") else "auto"},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            )
        super().__init__(**options)
        if not self.bucket_name:
            raise ImproperlyConfigured("PrivateS3Storage needs a bucket (OBJECT_STORAGE_BUCKET)")
        if self.default_acl or self.file_overwrite or not self.querystring_auth:
            raise ImproperlyConfigured(
                "private files take no ACL, are never overwritten and are never linked to"
            )
        if self.encryption not in ENCRYPTIONS:
            raise ImproperlyConfigured(
                f"OBJECT_STORAGE_ENCRYPTION must be empty, AES256 or aws:kms, "
                f"not {self.encryption!r}"
            )

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            **super().get_object_parameters(name),
            # Opaque bytes: what a browser declared is not kept, and nothing renders inline.
            "ContentType": "application/octet-stream",
        }
        parameters.pop("ACL", None)
        if self.encryption:
            parameters["ServerSideEncryption"] = self.encryption
        return parameters

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise ValueError(NO_URL)
