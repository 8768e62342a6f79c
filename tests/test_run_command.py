"""The README's run command really starts web + worker on a fresh instance folder, on embedded defaults."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from rq import Worker

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_starts_web_and_worker_with_embedded_sqlite_and_redis(tmp_path):
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "UPLOAD_FOLDER", "SECRET_KEY")}
    env["INSTANCE_PATH"] = str(instance)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None and "Log in" in page
        assert (instance / "leadcrm.sqlite3").exists()
        assert (instance / "secret_key").exists()
        connection = redis.Redis.from_url((instance / "redis" / "url").read_text())
        deadline = time.monotonic() + 30
        while not Worker.all(connection=connection) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(Worker.all(connection=connection)) == 1
    finally:
        os.killpg(server.pid, signal.SIGINT)
        output = server.communicate(timeout=60)[0]
    assert f"LeadCRM is running at http://127.0.0.1:{port}/" in output
