"""System Health (super admins only) with and without a real worker, re-queue, and /healthz."""
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta

from rq import Worker

from leadcrm import create_app
from leadcrm.extensions import db, import_queue
from leadcrm.models import LeadImport, utcnow
from tests.conftest import ROOT, login, make_user
from tests.support.factories import make_import


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_non_admins_get_403(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status="running")
    assert auth_client.get("/system-health").status_code == 403
    assert auth_client.post(f"/system-health/imports/{import_id}/requeue").status_code == 403
    assert "System Health" not in auth_client.get("/leads/").get_data(as_text=True)


def test_without_a_worker_says_so_and_lists_queued_imports_as_stuck(app, admin_client, user):
    with app.app_context():
        queued = make_import(user["workspace_id"], user["id"], status="queued", original_filename="waiting.csv")
        engine = db.engine.dialect.name
    html = admin_client.get("/system-health").get_data(as_text=True)
    assert 'href="/system-health"' in html
    assert "No worker is running." in html and "python worker.py" in html
    assert "Reachable" in html and {"sqlite": "sqlite 3.", "postgresql": "postgresql 1"}[engine] in html
    assert "Redis " in html
    assert 'data-stat="queued">0<' in html and 'data-stat="failed">0<' in html
    assert f'data-import="{queued}"' in html and "waiting.csv" in html and "Acme" in html


def test_imports_running_and_waiting_per_workspace(app, admin_client, user):
    with app.app_context():
        for status in ("running", "running", "queued", "queued", "queued", "completed"):
            make_import(user["workspace_id"], user["id"], status=status)
        globex = make_user("globex@example.com", workspace="Globex")
        make_import(globex.workspace_id, globex.id, status="completed")
    html = admin_client.get("/system-health").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-workspace="([^"]+)">(.*?)</tr>', html, re.S))
    assert list(rows) == ["Acme"], "only workspaces with imports running or waiting"
    assert re.search(r'data-stat="running">2<', rows["Acme"]) and re.search(r'data-stat="waiting">3<', rows["Acme"])
    assert "At most 2 imports of a workspace run at once" in html


def test_with_a_real_worker_lists_it(app, admin_client, subprocess_env):
    process = subprocess.Popen([sys.executable, "worker.py", "--name", "health-test-worker"], cwd=ROOT,
                               env=subprocess_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            deadline = time.monotonic() + 30
            # Registered, then idle once it listens (RQ says "started" in between).
            while [worker.get_state() for worker in Worker.all(queue=import_queue())] != ["idle"]:
                assert process.poll() is None, "the worker exited"
                assert time.monotonic() < deadline, "the worker did not register and listen"
                time.sleep(0.1)
        html = admin_client.get("/system-health").get_data(as_text=True)
        assert 'data-worker="health-test-worker"' in html and socket.gethostname() in html
        host_row = re.search(rf'<tr data-host="{re.escape(socket.gethostname())}">.*?</tr>', html, re.S).group(0)
        assert re.search(r'data-stat="workers">1<', host_row), host_row
        assert "No worker is running" not in html
        row = re.search(r'<tr data-worker="health-test-worker">.*?</tr>', html, re.S).group(0)
        assert "<td data-worker-state>idle</td>" in row and '<span class="muted">none</span>' in row
        # The age as the duration filter writes it: "under 0.1 s", "0.4 s", "3 s".
        assert re.search(r"<td data-worker-heartbeat>(under 0\.1|0\.\d|\d+) s ago</td>", row), row
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_stale_running_import_is_stuck_and_requeue_resumes_it(app, admin_client, user):
    stale = utcnow() - timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 60)
    with app.app_context():
        stuck = make_import(user["workspace_id"], user["id"], status="running", heartbeat_at=stale,
                            checkpoint_rows=4, processed=4, finished_at=None, attempt=1)
        fresh = make_import(user["workspace_id"], user["id"], status="running", heartbeat_at=utcnow(),
                            finished_at=None)
        # Only with a worker alive do queued imports stop looking stuck.
        worker = Worker([import_queue()], connection=import_queue().connection)
        worker.register_birth()
    try:
        html = admin_client.get("/system-health").get_data(as_text=True)
        assert f'data-import="{stuck}"' in html and f'data-import="{fresh}"' not in html
        response = admin_client.post(f"/system-health/imports/{stuck}/requeue")
        assert response.status_code == 303 and response.headers["Location"] == "/system-health"
        html = admin_client.get("/system-health").get_data(as_text=True)
        assert f"Import #{stuck} is queued again" in html
        assert 'data-stat="queued">1<' in html and f'data-import="{stuck}"' not in html
        assert re.search(r'data-stat="oldest">(\d+(\.\d)? s|under 0\.1 s)<', html)
        with app.app_context():
            imp = db.session.get(LeadImport, stuck)
            assert imp.status == "queued" and imp.checkpoint_rows == 4
            assert import_queue().get_job_ids() == [imp.rq_job_id]
        response = admin_client.post(f"/system-health/imports/{fresh}/requeue", follow_redirects=True)
        assert f"Import #{fresh} was not re-queued" in response.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(LeadImport, fresh).status == "running"
    finally:
        with app.app_context():
            worker.register_death()
            import_queue().empty()


def test_failed_import_is_listed_and_requeue_resumes_it(app, admin_client, user):
    with app.app_context():
        failed = make_import(user["workspace_id"], user["id"], status="failed", checkpoint_rows=7, processed=7,
                             error_message="The database could not be reached.", attempt=2)
    html = admin_client.get("/system-health").get_data(as_text=True)
    assert f'data-import="{failed}"' in html
    response = admin_client.post(f"/system-health/imports/{failed}/requeue", follow_redirects=True)
    assert f"Import #{failed} is queued again" in response.get_data(as_text=True)
    with app.app_context():
        imp = db.session.get(LeadImport, failed)
        assert (imp.status, imp.checkpoint_rows, imp.error_message, imp.finished_at) == ("queued", 7, None, None)
        assert import_queue().get_job_ids() == [imp.rq_job_id]
        import_queue().empty()


def test_healthz_is_public_json(app, client, user):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok", "workers": 0}


def test_healthz_503_when_redis_is_unreachable(app_config):
    app = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "redis": "error", "workers": 0}


def test_healthz_503_when_the_database_is_unreachable(app_config, tmp_path):
    url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none?connect_timeout=2"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "error", "redis": "ok", "workers": 0}


def test_system_health_shows_an_unreachable_redis(app_config):
    app = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        make_user("admin@example.com", workspace="Acme", super_admin=True)
    admin = app.test_client()
    assert login(admin, "admin@example.com").status_code == 303
    html = admin.get("/system-health").get_data(as_text=True)
    assert "Unreachable: ConnectionError" in html and "Redis is unreachable" in html
