"""Private file storage: files on disk that no URL serves.

Evidence and reports are streamed only by views that check scope and write an access event,
so this storage refuses to produce a URL at all: a template that tried ``{{ file.url }}`` would
fail loudly instead of linking to a path that a misconfigured web server might serve.
"""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name: str | None) -> str:
        raise ValueError("private files have no URL: serve them through a scoped view")
