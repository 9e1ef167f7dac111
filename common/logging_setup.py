"""Structured logs: one JSON object per line, which Cloud Logging reads as fields."""

from __future__ import annotations

import json
import logging
import os
import sys

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per log line in Cloud Logging's structured shape (`severity`, `message`; extra fields kept),
    see cloud.google.com/logging/docs/structured-logging.
    """
    def format(self, record: logging.LogRecord) -> str:
        """`record` as a JSON line: severity, message, logger, every `extra` field, and the formatted exception if any."""
        entry = {"severity": record.levelname, "message": record.getMessage(), "logger": record.name}
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str | None = None) -> None:
    """Send the root logger's records to stderr as JSON at `level` (default LOG_LEVEL or INFO); chatty libraries are
    quieted. Idempotent: a second call changes nothing.
    """
    root = logging.getLogger()
    if getattr(root, "_sora_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
    for noisy in ("urllib3", "werkzeug", "google", "httpx", "gcp_storage_emulator"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._sora_configured = True  # type: ignore[attr-defined]
