"""Command line for admins and scripts: create-user and serve (web + worker on embedded defaults)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from . import embedded_redis
from .auth.accounts import AccountError, create_user
from .extensions import redis_url
from .imports.cli import import_leads_command

ROOT = Path(__file__).resolve().parent.parent


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help="the user's password")
@click.option("--workspace", required=True, help="workspace name; created if it does not exist")
@click.option("--super-admin", is_flag=True, help="may see System Health")
@with_appcontext
def create_user_command(email, password, workspace, super_admin):
    """Create a user (and the workspace if it does not exist)."""
    try:
        user = create_user(email, password, workspace, super_admin=super_admin)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} in workspace {user.workspace.name}" + (" (super admin)" if super_admin else ""))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=int, help="gunicorn processes")
@with_appcontext
def serve_command(host, port, web_workers):
    """Upgrade the schema, then run the web server (gunicorn) and one import worker until Ctrl-C."""
    upgrade(directory=str(ROOT / "migrations"))
    env = {**os.environ, "REDIS_URL": redis_url()}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"{host}:{port}",
         "--workers", str(web_workers), "--threads", "8", "--access-logfile", "-"],
        cwd=ROOT, env=env,
    )
    worker_command = [sys.executable, "worker.py"]
    worker = subprocess.Popen(worker_command, cwd=ROOT, env=env)
    click.echo(f"LeadCRM is running at http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and web.poll() is None:
            if worker.poll() is not None:
                # Imports resume from their checkpoint, so a fresh worker picks up where this one died.
                click.echo(f"The import worker exited ({worker.returncode}); starting a new one.", err=True)
                time.sleep(1)
                worker = subprocess.Popen(worker_command, cwd=ROOT, env=env)
            time.sleep(0.5)
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()
        for process in (web, worker):
            process.wait(timeout=30)
        if not current_app.config["REDIS_URL"]:
            embedded_redis.stop(current_app.instance_path)


def init_app(app) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(import_leads_command)
