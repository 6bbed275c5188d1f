"""Private files on S3-compatible object storage, against a real server (issue 14, item 5).

SeaweedFS's S3 gateway runs on loopback (tests/s3_support.py). Evidence uploaded in this process
is downloaded through another one (a gunicorn web server, configured only by the
``OBJECT_STORAGE_*`` variables, sharing nothing with this process but PostgreSQL and the
bucket); a quarterly report rendered by a real Celery worker is downloaded through that web
server; nothing in the bucket answers an anonymous request, and the storage makes no URL.
Without ``OBJECT_STORAGE_BUCKET`` the files stay on the local disk, as before.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from accounts.models import AccessEvent, ApiToken
from breaches.models import Attachment
from config.storage import PrivateS3Storage
from reporting import jobs
from reporting.figures import Quarter
from reporting.models import QuarterlyReport
from tests.conftest import ROOT, World, build_world, wait_for
from tests.s3_support import S3Server, start_s3_server


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_storage(settings, s3: S3Server) -> S3Server:  # type: ignore[no-untyped-def]
    """This process stores private files in the bucket, as a host configured for it would."""
    settings.STORAGES = s3.storages()
    return s3


def a_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    writer.add_metadata({"/Title": f"evidence {uuid.uuid4().hex}"})  # unique bytes per test
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def object_bytes(s3: S3Server, key: str) -> bytes:
    return s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read()


# --- settings: the bucket only when configured ------------------------------------------------

SHOW_STORAGE = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.core.files.storage import storages; s = storages['default']; "
    "o = settings.STORAGES['default']['OPTIONS']; "
    "print(type(s).__name__, o.get('location') or o.get('bucket_name'), o.get('endpoint_url'))"
)


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("OBJECT_STORAGE_")}
    return subprocess.run(
        [sys.executable, "-c", SHOW_STORAGE],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "config.test_settings", **env},
    )  # fmt: skip


def test_the_local_disk_stays_the_default(tmp_path: Path) -> None:
    result = run_settings({"PRIVATE_MEDIA_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PrivateFileSystemStorage", str(tmp_path), "None"]


def test_a_bucket_in_the_environment_selects_the_object_storage() -> None:
    result = run_settings(
        {
            "OBJECT_STORAGE_BUCKET": "register-files",
            "OBJECT_STORAGE_ENDPOINT_URL": "http://objects.internal:8333",
            "OBJECT_STORAGE_ACCESS_KEY": "key",
            "OBJECT_STORAGE_SECRET_KEY": "secret",
            "OBJECT_STORAGE_REGION": "ap-southeast-2",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "PrivateS3Storage", "register-files", "http://objects.internal:8333",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OBJECT_STORAGE_ACCESS_KEY": "key"}, "set together or not at all"),
        ({"OBJECT_STORAGE_SECRET_KEY": "secret"}, "set together or not at all"),
        ({"OBJECT_STORAGE_ENCRYPTION": "rot13"}, "OBJECT_STORAGE_ENCRYPTION must be"),
    ],
)
def test_a_half_configured_bucket_stops_start_up(env: dict[str, str], message: str) -> None:
    result = run_settings({"OBJECT_STORAGE_BUCKET": "register-files", **env})
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "unsafe",
    [{"default_acl": "public-read"}, {"file_overwrite": True}, {"querystring_auth": False}],
)
def test_the_storage_refuses_options_that_would_expose_or_overwrite(
    unsafe: dict[str, object],
) -> None:
    with pytest.raises(ImproperlyConfigured):
        PrivateS3Storage(bucket_name="register-files", **unsafe)


# --- docker-compose: the multi-host layout ---------------------------------------------------


def test_compose_shares_files_through_the_object_store_not_a_volume() -> None:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    objects = services["objects"]
    assert "seaweedfs" in objects["image"] and not objects.get("ports")
    assert "-master.telemetry=false" in objects["command"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["OBJECT_STORAGE_BUCKET"], name
        assert "objects:8333" in environment["OBJECT_STORAGE_ENDPOINT_URL"], name
        # No replica keeps files of its own: nothing private is mounted into an app service.
        assert not services[name].get("volumes"), name
    assert "objects" in services["web"]["depends_on"]
    assert services["web"]["deploy"]["replicas"] == "${WEB_REPLICAS:-2}"
    assert services["worker"]["deploy"]["replicas"] == "${WORKER_REPLICAS:-2}"
    assert services["beat"]["deploy"]["replicas"] == 1


# --- the storage against the real server ------------------------------------------------------


def test_the_storage_makes_no_url_and_never_overwrites(s3_storage: S3Server) -> None:
    storage = storages["default"]
    assert isinstance(storage, PrivateS3Storage)
    first = storage.save("attachments/same-name", ContentFile(b"first"))
    second = storage.save("attachments/same-name", ContentFile(b"second"))
    assert first != second
    assert (object_bytes(s3_storage, first), object_bytes(s3_storage, second)) == (
        b"first",
        b"second",
    )
    with pytest.raises(ValueError, match="no URL"):
        storage.url(first)
    head = s3_storage.client().head_object(Bucket=s3_storage.bucket, Key=first)
    assert head["ContentType"] == "application/octet-stream"


def test_nothing_in_the_bucket_answers_an_anonymous_request(s3_storage: S3Server) -> None:
    key = storages["default"].save("attachments/anonymous", ContentFile(b"personal information"))
    # The object is there for the register's own identity...
    assert object_bytes(s3_storage, key) == b"personal information"
    # ...and refused to anyone without it: the object, the bucket's listing, and its ACL.
    for url in (
        f"{s3_storage.endpoint_url}/{s3_storage.bucket}/{key}",
        f"{s3_storage.endpoint_url}/{s3_storage.bucket}?list-type=2",
        f"{s3_storage.endpoint_url}/{s3_storage.bucket}/{key}?acl",
    ):
        response = requests.get(url, timeout=10)
        assert response.status_code == 403, (url, response.status_code)
        assert b"personal information" not in response.content
    # The wrong secret is refused as well.
    from botocore.exceptions import ClientError

    intruder = s3_storage.client(aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError):
        intruder.get_object(Bucket=s3_storage.bucket, Key=key)


def test_encryption_at_rest_when_asked_for(settings, s3: S3Server) -> None:  # type: ignore[no-untyped-def]
    """With OBJECT_STORAGE_ENCRYPTION=AES256 the server keeps only ciphertext on its disk."""

    def on_disk(marker: bytes) -> bool:
        return any(marker in path.read_bytes() for path in s3.data_dir.rglob("*") if path.is_file())

    plain_marker = f"PLAIN-{uuid.uuid4().hex}".encode()
    secret_marker = f"SECRET-{uuid.uuid4().hex}".encode()
    settings.STORAGES = s3.storages()
    storages["default"].save("attachments/plain", ContentFile(plain_marker))
    settings.STORAGES = s3.storages(encryption="AES256")
    key = storages["default"].save("attachments/secret", ContentFile(secret_marker))

    head = s3.client().head_object(Bucket=s3.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert object_bytes(s3, key) == secret_marker
    # The disk scan can see stored bytes (the unencrypted object is found in it)...
    wait_for(lambda: on_disk(plain_marker), timeout=10, what="the plain object on disk")
    # ...and the encrypted one is not there in the clear.
    assert not on_disk(secret_marker)


# --- across processes: web and worker on "other hosts" ----------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_env(s3: S3Server, private_root: Path) -> dict[str, str]:
    """What another host of the register would have: the test database, the bucket, and a
    private folder of its own (which must stay empty)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        pytest.skip("another process needs a server database: run `make test`")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OBJECT_STORAGE_")},
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "PRIVATE_MEDIA_ROOT": str(private_root),
        **s3.environment(),
    }


class WebServer:
    """gunicorn serving the register from its own process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "config.wsgi:application",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                    "--access-logfile", "-",
                ],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the web server did not start:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/login/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, *, session: str = "", token: str = "") -> requests.Response:
        """GET as the person whose session cookie or API token is given."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        cookies = {"sessionid": session} if session else {}
        return requests.get(
            f"{self.url}{path}", headers=headers, cookies=cookies, timeout=30,
            allow_redirects=False,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def web_host(s3: S3Server, tmp_path: Path) -> Iterator[tuple[WebServer, Path]]:
    """A web server on "another host": the bucket and the database, no files of this process."""
    private_root = tmp_path / "web-private"
    private_root.mkdir()
    server = WebServer(_process_env(s3, private_root), tmp_path / "web.log")
    try:
        yield server, private_root
    finally:
        server.stop()


def session_of(user: object) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client.cookies["sessionid"].value


def local_files(*roots: Path) -> list[Path]:
    return [path for root in roots for path in root.rglob("*") if path.is_file()]


@pytest.mark.django_db(transaction=True)
def test_evidence_uploaded_here_is_downloaded_by_another_web_process(
    s3_storage: S3Server, web_host: tuple[WebServer, Path]
) -> None:
    web, web_private = web_host
    world: World = build_world()
    content = a_pdf()

    # Uploaded through this process's pages...
    client = Client()
    client.force_login(world.reporter)
    response = client.post(
        f"/incidents/{world.incident_a.reference}/attachments/",
        {"file": SimpleUploadedFile("letter.pdf", content, content_type="application/pdf")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    attachment = Attachment.objects.get(incident=world.incident_a)
    assert object_bytes(s3_storage, attachment.file.name) == content

    # ...downloaded through the other process's page, in scope, and logged there.
    page = web.get(attachment.get_absolute_url(), session=session_of(world.officer_a))
    assert page.status_code == 200, web.log()[-3000:]
    assert page.content == content
    assert page.headers["Content-Length"] == str(len(content))
    assert page.headers["Content-Type"] == "application/pdf"
    assert page.headers["Content-Disposition"].startswith("attachment;")
    assert "letter.pdf" in page.headers["Content-Disposition"]
    assert AccessEvent.objects.filter(
        user=world.officer_a, action=AccessEvent.Action.DOWNLOAD, incident=world.incident_a
    ).exists()

    # ...and through its API, with a token.
    _, token = ApiToken.objects.create(user=world.officer_a)
    api = web.get(
        f"/api/v1/incidents/{world.incident_a.reference}/attachments/{attachment.pk}/",
        token=token,
    )
    assert api.status_code == 200, web.log()[-3000:]
    assert api.content == content

    # Scope still decides: someone who may not see the incident gets nothing.
    outsider = web.get(attachment.get_absolute_url(), session=session_of(world.reporter2))
    assert outsider.status_code == 404
    assert content not in outsider.content

    # The web process kept no copy on its own disk.
    assert local_files(web_private) == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_rendered_by_a_worker_is_downloaded_by_web(
    s3_storage: S3Server,
    web_host: tuple[WebServer, Path],
    worker_factory: Callable[..., object],
    tmp_path: Path,
) -> None:
    web, web_private = web_host
    worker_private = tmp_path / "worker-private"
    worker_private.mkdir()
    world = build_world()
    worker_factory(
        "s3-worker", pool="solo", PRIVATE_MEDIA_ROOT=str(worker_private), **s3_storage.environment()
    )

    report = jobs.report_request(
        quarter=Quarter.containing(timezone.localdate()), requested_by=world.cpo
    )

    def done() -> bool:
        report.refresh_from_db()
        assert report.status != QuarterlyReport.Status.FAILED, report.last_error
        return report.status == QuarterlyReport.Status.DONE

    wait_for(done, timeout=120, what="the worker to render the report")
    stored = object_bytes(s3_storage, report.file.name)
    assert stored.startswith(b"%PDF")

    response = web.get(f"/reports/{report.pk}/download/", session=session_of(world.cpo))
    assert response.status_code == 200, web.log()[-3000:]
    assert response.content == stored
    assert response.headers["Content-Type"] == "application/pdf"
    assert AccessEvent.objects.filter(
        user=world.cpo, action=AccessEvent.Action.REPORT_DOWNLOAD
    ).exists()
    # The worker rendered it to a temporary file and stored it in the bucket only.
    assert local_files(worker_private, web_private) == []
