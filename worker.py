"""Run one RQ worker for imports: `python worker.py [--burst]`.

The one place that builds the app for a worker. Its maintenance, at start and every
IMPORT_RECOVERY_INTERVAL seconds while idle, re-queues imports whose worker died or whose job Redis lost.
"""
import argparse
import os

from redis import RedisError
from rq import Worker
from sqlalchemy.exc import SQLAlchemyError

from leadcrm import create_app
from leadcrm.extensions import db, import_queue, redis_connection
from leadcrm.imports.jobs.recovery import recover_stalled_imports


class ImportWorker(Worker):
    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            recovered = recover_stalled_imports()
        except (SQLAlchemyError, RedisError) as error:
            # A database or Redis blip must not end the worker: the next maintenance round tries again.
            db.session.rollback()
            self.log.warning("recovery skipped, will retry: %s", error)
            return
        if recovered:
            self.log.info("re-queued stalled imports %s", recovered)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="quit once the queue is empty")
    parser.add_argument("--name", help="worker name (default: a random one)")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        engine = db.engine
        # The work horse is a fork: it must open its own database connections.
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
        interval = app.config["IMPORT_RECOVERY_INTERVAL"]
        worker = ImportWorker(
            [import_queue()],
            connection=redis_connection(),
            name=args.name,
            maintenance_interval=interval,
            # RQ blocks on the queue for worker_ttl - 15 s; keep that short so maintenance runs on time.
            worker_ttl=interval + 15,
            # A busy worker beats as often as an idle one, so System Health can tell a dead one by its heartbeat.
            job_monitoring_interval=interval,
        )
        worker.work(burst=args.burst)


if __name__ == "__main__":
    main()
