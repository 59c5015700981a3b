"""Real backing servers for the tests: Redis (Debian's redis-server) and an
S3-compatible object store (moto in server mode), each on a free loopback
port, in its own process, stopped when the test run ends or fails."""

import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import redis
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from tests.support.processes import background, free_port
from tests.support.waiting import wait_for

START_SECONDS = 30
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
S3_REGION = "us-east-1"


def answering(ready: Callable[[], object], process: subprocess.Popen, log: Path) -> None:
    """Return once a server started in `process` answers `ready()`; fail with its log
    if it stops or stays silent for START_SECONDS."""

    def check() -> object:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} stopped:\n{log.read_text()}")
        return ready()

    wait_for(check, seconds=START_SECONDS, every=0.1, what=str(log), tolerate=(OSError,))


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway Redis with no persistence; yields its URL (database 0)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    log = folder / "redis.log"
    with background(command, log) as process:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        answering(lambda: client.ping(), process, log)
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def s3_server(folder: Path) -> Iterator[str]:
    """A moto S3 server; yields its endpoint URL."""
    binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    log = folder / "moto.log"
    endpoint = f"http://127.0.0.1:{port}"
    with background([binary, "-H", "127.0.0.1", "-p", str(port)], log) as process:
        answering(lambda: urllib.request.urlopen(endpoint, timeout=1).status == 200, process, log)
        yield endpoint


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def create_bucket(endpoint: str, name: str) -> str:
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def s3_storage_options(endpoint: str, bucket: str, **options: object) -> dict:
    """The OPTIONS of an S3Storage on the test server, as the settings build them."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": S3_REGION,
        "access_key": S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "secret_key": S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "file_overwrite": True,
        "client_config": Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=1,
            read_timeout=5,
            retries={"max_attempts": 1},
        ),
        "transfer_config": TransferConfig(use_threads=False),
        **options,
    }
