"""User uploads (start frames, reference images, chat attachments): checked, normalised, budgeted, cleaned.

- An upload is stored only after every pixel decoded; it is stored upright and
  in sRGB (common/media.py), so what a task later sends a provider is what the
  user saw.
- Each user has a storage budget (`users.upload_bytes`, one conditional
  update, like credits). The same image uploaded twice is one object, counted once.
- The `uploads` collection lists every upload `{_id: object name, user_id,
  bytes, created_at, last_used_at}`. Using an upload in a task or a chat
  message first `touch`es it (and fails if it is gone). The sweep deletes an
  upload that nothing references and nobody touched for UPLOAD_ORPHAN_AGE_S,
  and gives its bytes back to the budget. What a task or a message references
  is never deleted: the check runs against the database, not an object age,
  so the bucket has no age-based delete rule on `uploads/` any more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from common import clock
from common.db import Database
from common.errors import InvalidRequest, PayloadTooLarge
from common.media import EXTENSIONS, MediaSigner, check_image_upload
from common.models import UploadResult
from common.storage import StorageService

log = logging.getLogger(__name__)

# Task params that hold object names of uploads (keep in step with common/generation.py).
REFERENCE_FIELDS = ("start_object", "end_object", "reference_objects")


class Uploads:
    """User image uploads: content-checked, normalised images stored content-addressed under uploads/<user_id>/, a per-user byte
    budget, marking which uploads tasks use, and cleanup of orphans no task or message references.
    """
    def __init__(self, *, storage: StorageService, signer: MediaSigner, max_bytes: int, db: Database | None = None,
                 max_pixels: int = 7680 * 4320, budget_bytes: int = 0, orphan_age_s: int = 24 * 3600) -> None:
        self._storage = storage
        self._signer = signer
        self._max_bytes = max_bytes
        self._db = db
        self._max_pixels = max_pixels
        self._budget = budget_bytes
        self._orphan_age_s = orphan_age_s

    def store(self, *, user_id: str, data: bytes) -> UploadResult:
        """Check, normalise and store one image. 413 over the byte/pixel limit or the user's budget;
        415 unless the bytes are a whole PNG/JPEG/WebP image."""
        image = check_image_upload(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        # Content-addressed name: the same image uploaded twice is one object.
        name = f"uploads/{user_id}/{image.sha256[:40]}.{EXTENSIONS[image.mime_type]}"
        size = len(image.data)
        if self._register(name, user_id=user_id, size=size):
            try:
                self._storage.upload_bytes(name, image.data, content_type=image.mime_type)
            except Exception:
                self._unregister(name, user_id=user_id, size=size)
                raise
        elif not self._storage.exists(name):
            self._storage.upload_bytes(name, image.data, content_type=image.mime_type)
        return UploadResult(url=self._signer.url_for(name), mime_type=image.mime_type, bytes=size,
                            width=image.width, height=image.height)

    # ---- the registry and the budget ------------------------------------------------------

    def _register(self, name: str, *, user_id: str, size: int) -> bool:
        """Record a new upload and charge the budget; False if this exact image is already stored."""
        if self._db is None:
            return not self._storage.exists(name)
        now = clock.now()
        if self._db.uploads.find_one({"_id": name}) is not None:
            self._db.uploads.update_one({"_id": name}, {"$set": {"last_used_at": now}})
            return False
        if self._budget:
            charged = self._db.users.update_one(
                {"_id": user_id, "$or": [{"upload_bytes": {"$lte": self._budget - size}}, {"upload_bytes": None}]},
                {"$inc": {"upload_bytes": size}},
            )
            if charged.matched_count != 1:
                user = self._db.users.find_one({"_id": user_id}) or {}
                used = int(user.get("upload_bytes") or 0)
                raise PayloadTooLarge(
                    f"Your uploads use {used // (1024 * 1024)} of {self._budget // (1024 * 1024)} MB. "
                    "Unused uploads are removed after a day; delete tasks you no longer need.",
                    code="upload_budget_exceeded", details={"budget_bytes": self._budget, "used_bytes": used},
                )
        try:
            self._db.uploads.insert_one({"_id": name, "user_id": user_id, "bytes": size, "created_at": now, "last_used_at": now})
        except DuplicateKeyError:  # the same image, uploaded twice at once: the other request stores it
            self._release_budget(user_id, size)
            return False
        return True

    def _unregister(self, name: str, *, user_id: str, size: int) -> None:
        if self._db is not None and self._db.uploads.delete_one({"_id": name}).deleted_count:
            self._release_budget(user_id, size)

    def _release_budget(self, user_id: str, size: int) -> None:
        if self._db is not None and self._budget:
            self._db.users.update_one({"_id": user_id, "upload_bytes": {"$gte": size}}, {"$inc": {"upload_bytes": -size}})

    def touch(self, names: list[str], *, field: str = "image_url") -> None:
        """Mark uploads as in use now (before a task or message references them). 400 if one is gone."""
        if self._db is None:
            return
        now = clock.now()
        for name in names:
            if not name.startswith("uploads/"):
                continue
            if self._db.uploads.update_one({"_id": name}, {"$set": {"last_used_at": now}}).matched_count == 1:
                continue
            if not self._storage.exists(name):
                raise InvalidRequest("This upload is no longer available. Upload the image again.", details={"field": field})
            # Uploaded before the registry existed: register it now (not charged to the budget).
            owner = name.split("/")[1]
            self._db.uploads.update_one({"_id": name}, {"$setOnInsert": {"user_id": owner, "bytes": 0, "created_at": now},
                                                        "$set": {"last_used_at": now}}, upsert=True)

    # ---- orphan cleanup (the sweep) ---------------------------------------------------------

    def referenced(self, name: str) -> bool:
        """True while a task (start frame, last frame, reference image) or a chat message uses `name`."""
        if self._db is None:
            return True
        in_task = self._db.tasks.find_one({"$or": [{f"params.{field}": name} for field in REFERENCE_FIELDS]})
        return in_task is not None or self._db.messages.find_one({"attachments": name}) is not None

    def collect_orphans(self, *, is_referenced: Callable[[str], bool], limit: int = 200) -> int:
        """Delete uploads unused for UPLOAD_ORPHAN_AGE_S that nothing references; returns how many.

        The upload document is removed with a filter on `last_used_at`, so an upload touched by
        a new task between the reference check and the delete is kept.
        """
        if self._db is None:
            return 0
        cutoff = clock.now() - timedelta(seconds=self._orphan_age_s)
        removed = 0
        for doc in self._db.uploads.find({"last_used_at": {"$lt": cutoff}}, sort=[("last_used_at", 1)], limit=limit):
            name = doc["_id"]
            if is_referenced(name):
                self._db.uploads.update_one({"_id": name, "last_used_at": doc["last_used_at"]},
                                            {"$set": {"last_used_at": clock.now()}})
                continue
            gone: Any = self._db.uploads.delete_one({"_id": name, "last_used_at": doc["last_used_at"]})
            if gone.deleted_count != 1:
                continue
            self._storage.delete(name)
            self._release_budget(str(doc.get("user_id")), int(doc.get("bytes") or 0))
            removed += 1
        if removed:
            log.info("orphan uploads deleted", extra={"count": removed})
        return removed
