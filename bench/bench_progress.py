"""Latency of the polled progress fragment under 200 concurrent pollers, served as `flask serve` does.

    python bench/bench_progress.py [--clients 200] [--requests 20] [--interval 1.0]

Starts gunicorn (`app:app`, 2 workers x 8 threads) on a free loopback port with a fresh SQLite database
and one running import, logs in, then runs the pollers in threads, each on its own keep-alive connection:
- paced: every client polls once per interval, like htmx's `every 1s` (the real load of 200 open pages);
- back-to-back: every client polls again as soon as it has its answer (a stress figure, not the target).
Prints median, p95 and p99 latency. Target: paced median < 20 ms. Uses REDIS_URL when set, else the
embedded Redis of the temporary instance folder.
"""
import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(instance: Path) -> tuple[dict, int]:
    """Fresh database with a user and one running import; the environment for gunicorn."""
    os.environ.update(INSTANCE_PATH=str(instance), DATABASE_URL=f"sqlite:///{instance / 'bench.sqlite3'}")
    from leadcrm import create_app
    from leadcrm.auth.accounts import create_user
    from leadcrm.extensions import db, redis_url
    from leadcrm.models import LeadImport, utcnow

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        user = create_user("bench@example.com", "bench password", "Bench")
        now = utcnow()
        imp = LeadImport(workspace_id=user.workspace_id, created_by_id=user.id, original_filename="bench.csv",
                         stored_name="bench.csv", size_bytes=1, header=["email"], mapping={"email": "email"},
                         status="running", total_rows=100_000, processed=41_000, successful=40_000, skipped=900,
                         errors=100, started_at=now - timedelta(seconds=20), heartbeat_at=now, attempt=1)
        db.session.add(imp)
        db.session.commit()
        import_id = imp.id
        env = {**os.environ, "REDIS_URL": redis_url(), "PYTHONPATH": str(ROOT)}
    return env, import_id


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def log_in(port: int) -> str:
    """The Cookie header of a logged-in session (the login form's CSRF token included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": "bench@example.com", "password": "bench password"})
    conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 303:
        raise SystemExit(f"login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def poll(port, path, cookie, count, interval, start, latencies, failures):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "HX-Request": "true"}
    start.wait()
    if interval:
        time.sleep(random.uniform(0, interval))  # open pages do not poll in lockstep
    next_at = time.monotonic()
    for _ in range(count):
        began = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and b'data-stat="processed">41,000<' in body
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        elapsed = time.perf_counter() - began
        (latencies if ok else failures).append(elapsed)
        if interval:
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
    conn.close()


def run(port, path, cookie, clients, count, interval) -> None:
    latencies, failures, start = [], [], threading.Event()
    threads = [threading.Thread(target=poll, args=(port, path, cookie, count, interval, start, latencies, failures))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.set()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100)
    mode = f"paced, one poll per {interval:g} s" if interval else "back-to-back"
    print(f"{mode}: {clients} clients x {count} requests = {len(ms)} ok, {len(failures)} failed, "
          f"{len(ms) / wall:.0f} req/s")
    print(f"  median {statistics.median(ms):.1f} ms   p95 {q[94]:.1f} ms   p99 {q[98]:.1f} ms   max {ms[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a client's polls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadcrm-bench-") as folder:
        instance = Path(folder)
        env, import_id = prepare(instance)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "8", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        try:
            wait_until_up(port, server)
            cookie = log_in(port)
            path = f"/imports/{import_id}/progress"
            print(f"GET {path} on gunicorn app:app -w 2 --threads 8, SQLite, {os.cpu_count()} CPUs")
            run(port, path, cookie, args.clients, args.requests, args.interval)
            run(port, path, cookie, args.clients, args.requests, 0)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not os.environ.get("REDIS_URL"):
                from leadcrm import embedded_redis

                embedded_redis.stop(instance)


if __name__ == "__main__":
    main()
