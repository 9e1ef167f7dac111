"""`python -m localstack`: the whole platform on http://127.0.0.1:$PORT (what `make dev` runs)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from common.config import Settings
from common.logging_setup import configure_logging
from common.runtime import Services, use
from localstack.app import create_app
from localstack.emulator import StorageEmulator
from localstack.mongo_server import MongoServer
from localstack.server import make_server
from scripts.ensure_indexes import ensure_indexes

log = logging.getLogger("localstack")


def bootstrap(svc: Services) -> None:
    """Bucket, admin account, and a sweep that picks up tasks interrupted by the last stop."""
    svc.storage.ensure_bucket()
    svc.auth.ensure_admin(email=svc.settings.ADMIN_EMAIL, password=svc.settings.ADMIN_PASSWORD)


def main() -> int:
    configure_logging()
    settings = Settings()
    emulator = None
    if not settings.STORAGE_EMULATOR_HOST and not os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        emulator = StorageEmulator(port=int(os.environ.get("STORAGE_EMULATOR_PORT", "9023")),
                                   data_dir=settings.DATA_DIR / "storage", bucket=settings.GCS_BUCKET).start()
        settings = Settings(STORAGE_EMULATOR_HOST=emulator.url)  # type: ignore[call-arg]
    mongo = None
    if settings.embedded_db and settings.EMBEDDED_DB == "secantusdb":
        # Journal synced at each commit: an acknowledged write survives a kill -9 of the whole stack.
        mongo = MongoServer(data_dir=settings.DATA_DIR / "mongo", port=int(os.environ.get("MONGODB_PORT", "0")) or None,
                            sync_on_commit=True).start(timeout_s=120)
        settings = settings.model_copy(update={"MONGODB_URI": mongo.uri})
    if settings.MONGODB_URI:
        ensure_indexes(settings.MONGODB_URI, settings.MONGODB_DB)  # the deploy step, run by the local stack at start
    svc = Services(settings)
    use(svc)
    if settings.embedded_db and settings.DB_SNAPSHOT:
        svc.db.enable_snapshot(settings.DATA_DIR / "db.json")
    bootstrap(svc)

    server = make_server("127.0.0.1", settings.PORT, create_app())
    stop = threading.Event()

    def sweeper() -> None:
        # The start-up sweep (idle_s=0) resumes what the last stop interrupted. It is retried every
        # 0.5 s until it succeeds: falling back to the periodic rule (60 s idle) after a failed first
        # attempt (a database still warming up) would leave those tasks waiting a minute or more.
        resumed = False
        while not stop.wait(settings.SWEEP_INTERVAL_S if resumed else 0.5):
            try:
                counts = svc.generation.sweep(idle_s=60 if resumed else 0)
                if not resumed and counts["requeued"]:
                    log.info("resumed %s interrupted task(s)", counts["requeued"])
                resumed = True
                svc.uploads.collect_orphans(is_referenced=svc.uploads.referenced)
            except Exception:
                log.exception("sweep failed")

    threading.Thread(target=sweeper, daemon=True, name="sweeper").start()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        stop.set()
        svc.queue.close()  # nothing more is delivered; the start-up sweep resumes what was pending
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    url = f"http://127.0.0.1:{settings.PORT}"
    print(f"\n  Sora Studio is running at {url}\n  admin login: {settings.ADMIN_EMAIL} / "
          f"{settings.ADMIN_PASSWORD}\n  data: {settings.DATA_DIR}  (Ctrl-C stops everything)\n", flush=True)
    try:
        server.serve_forever()
    finally:
        stop.set()
        svc.close()
        if mongo:
            mongo.stop()
        if emulator:
            emulator.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
