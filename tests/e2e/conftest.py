"""Browser end-to-end fixtures: the real app served as a user would start it, and a Chromium page.

live_server runs `python -m flask --app app serve` (migrations, gunicorn, one `python worker.py`) on a free
port with a fresh database of the test's engine; page is a Playwright page of Debian's /usr/bin/chromium.
"""
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

import psutil
import psycopg
import pytest

from tests.conftest import ROOT
from tests.support.servers import (  # noqa: F401  (a Redis per test process, emptied before each test)
    _empty_redis,
    free_port,
    process_groups,
    process_redis,
    redis_url,
    wait_until,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def empty_postgres(url: str) -> None:
    """Drop everything in the test's PostgreSQL database so `flask db upgrade` starts from nothing."""
    plain = re.sub(r"^postgresql\+psycopg", "postgresql", url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict
    stopped_workers: list = field(default_factory=list)

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def worker_processes(self) -> list:
        """The `python worker.py` processes of this server (not the work horses they fork)."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        workers = []
        for child in children:
            try:
                if "worker.py" in " ".join(child.cmdline()) and child.parent().pid == self.process.pid:
                    workers.append(child)
            except psutil.Error:
                pass
        return workers

    def pause_worker(self) -> None:
        """SIGSTOP the import worker: jobs wait in the queue while it still counts as alive."""
        for worker in self.worker_processes():
            worker.send_signal(signal.SIGSTOP)
            self.stopped_workers.append(worker)

    def resume_worker(self) -> None:
        while self.stopped_workers:
            worker = self.stopped_workers.pop()
            try:
                worker.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                pass


def _healthy(url: str) -> bool:
    try:
        with urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop_process_group(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM the whole group (serve, gunicorn, worker), then SIGKILL what is left, work horses included
    (RQ gives each horse a process group of its own)."""
    groups = process_groups(process.pid)
    for sig, wait in ((signal.SIGCONT, 0), (signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process.poll() is not None and not any(_group_alive(g) for g in groups):
                return
            time.sleep(0.1)
    process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def live_server_env(subprocess_env, database_url_for_test):
    """Environment of the served app; tests may add to it before requesting live_server."""
    env = dict(subprocess_env)
    env.update(
        DATABASE_URL=database_url_for_test,
        # The login limit is kept by remote address in the shared Redis: parallel servers must not trip it.
        LOGIN_RATE_LIMIT="1000 per minute",
        IMPORT_STALE_SECONDS="5",
        IMPORT_RECOVERY_INTERVAL="2",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def live_server(live_server_env, database_url_for_test, tmp_path):
    """The real app on a free port (migrated fresh database, gunicorn and one worker); stopped at teardown."""
    if database_url_for_test.startswith("postgresql"):
        empty_postgres(database_url_for_test)
    port = free_port()
    log_path = tmp_path / "live-server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=live_server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path, live_server_env)
    try:
        deadline = time.monotonic() + 90
        while not _healthy(server.url):
            if process.poll() is not None:
                pytest.fail(f"the app exited with {process.returncode} before answering:\n{server.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer /healthz within 90 s:\n{server.log()}")
            time.sleep(0.2)
        wait_until(server.worker_processes, 30, message="the import worker to start")
        yield server
    finally:
        server.resume_worker()
        stop_process_group(process)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; missing Chromium fails the run in CI, skips elsewhere."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class PageWatch:
    """What the page did that a test must see: dialogs (XSS), page errors and console errors (CSP)."""

    dialogs: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page on the live server; dialogs are recorded and dismissed."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch = PageWatch()

    def on_dialog(dialog):
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)
    page.watch = watch
    yield page
    context.close()


def signup(page, workspace="E2E Co", email="owner@e2e.example.com", password="correct horse battery"):
    """Create a workspace in the browser as a new user would."""
    page.goto("/signup")
    page.get_by_label("Workspace name").fill(workspace)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()


def login(page, email, password):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def click_link_or_button(page, name):
    """Click what the issue calls a button; the markup may make it a link styled as one."""
    target = page.get_by_role("link", name=name, exact=True).or_(page.get_by_role("button", name=name, exact=True))
    target.first.click()


def open_new_import(page):
    """Leads → Import Leads → New Import, through the sidebar."""
    sidebar = page.get_by_role("navigation", name="Main")
    sidebar.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()
    sidebar.get_by_role("link", name="Import Leads", exact=True).click()
    page.wait_for_load_state()
    click_link_or_button(page, "New Import")
    page.wait_for_load_state()


def upload(page, path_or_payload):
    """Choose the file in the "CSV file" input and press Upload."""
    page.get_by_label("CSV file").set_input_files(path_or_payload)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()


def selected_label(select) -> str:
    return select.evaluate("s => s.selectedOptions.length ? s.selectedOptions[0].textContent.trim() : ''")


def stat(page, name: str) -> int | None:
    """The number shown in the progress figure data-stat=name (None when not shown or not a number)."""
    element = page.locator(f"[data-stat={name}]").first
    if not element.count():
        return None
    digits = re.sub(r"[^\d]", "", element.inner_text())
    return int(digits) if digits else None


def figures(page) -> dict:
    return {name: stat(page, name) for name in ("total", "processed", "successful", "skipped", "errors")}


def show_unmapped_columns(page):
    """Unfold the mapping page's columns set to "Do not import" (folded by default, issue 15)."""
    unmapped = page.locator("details.unmapped-columns")
    if unmapped.count() and not unmapped.evaluate("d => d.open"):
        unmapped.locator("summary").click()
