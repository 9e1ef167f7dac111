"""Public sharing of finished tasks: `/s/<token>` pages and share-bound media links.

Sharing stores an unguessable token (`secrets.token_urlsafe(24)`, 192 bits)
on the task. The public answer signs its media links *bound to the token*
(`MediaSigner.url_for(name, share=token)`), and the proxy serves such a link
only while a task with that token still exists and holds that object. So
revoking the share (the token is removed) or deleting the task makes the page
and every media link reached through it answer 404 at once; links are
`Cache-Control: no-cache`, so browsers revalidate instead of keeping them.
"""

from __future__ import annotations

import secrets
from typing import Any

from pymongo import ReturnDocument

from common import clock
from common.db import Database
from common.errors import Conflict, NotFound
from common.media import MediaSigner
from common.models import PublicShare, TaskResult, TaskStatus

SHARE_PATH = "/s/"
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def valid_token(token: str) -> bool:
    """Shape check before any lookup: 32 URL-safe characters."""
    return len(token) == 32 and set(token) <= _TOKEN_CHARS


class ShareService:
    """Public share links of finished tasks: an unguessable 32-character token per shared task, the public view of it,
    and revocation after which the page and every media link reached through it answer 404.
    """
    def __init__(self, *, db: Database, signer: MediaSigner) -> None:
        self._db = db
        self._signer = signer

    def share(self, doc: dict[str, Any]) -> str:
        """The page URL (`/s/<token>`) for a finished task of the caller's; the same one while shared."""
        if doc["status"] != TaskStatus.COMPLETED.value or not doc.get("result"):
            raise Conflict("Only a finished generation can be shared.")
        if doc.get("share_token"):
            return SHARE_PATH + str(doc["share_token"])
        token = secrets.token_urlsafe(24)
        updated = self._db.tasks.find_one_and_update(
            {"_id": doc["_id"], "share_token": None}, {"$set": {"share_token": token, "shared_at": clock.now()}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:  # shared concurrently: answer with the token that won
            current = self._db.tasks.find_one({"_id": doc["_id"]}) or {}
            if not current.get("share_token"):
                raise NotFound("Task not found.")
            token = str(current["share_token"])
        return SHARE_PATH + token

    def revoke(self, doc: dict[str, Any]) -> None:
        self._db.tasks.update_one({"_id": doc["_id"]}, {"$set": {"share_token": None, "shared_at": None}})

    def _shared_task(self, token: str) -> dict[str, Any]:
        doc = self._db.tasks.find_one({"share_token": token}) if valid_token(token) else None
        if doc is None or doc["status"] != TaskStatus.COMPLETED.value or not doc.get("result"):
            raise NotFound("This link was revoked or never existed.")
        return doc

    def public(self, token: str) -> PublicShare:
        """What anyone may see of a shared task: prompt, type, result (share-bound links), date."""
        doc = self._shared_task(token)
        r = doc["result"]
        result = TaskResult(
            url=self._signer.url_for(r["object"], share=token),
            thumbnail_url=self._signer.url_for(r["thumbnail_object"], share=token) if r.get("thumbnail_object") else None,
            mime_type=r["mime_type"], bytes=r["bytes"], width=r.get("width"), height=r.get("height"),
            duration_s=r.get("duration_s"),
        )
        return PublicShare(prompt=doc["prompt"], type=doc["type"], result=result,
                           created_at=clock.as_utc(doc["created_at"]))

    def check_media(self, token: str, name: str) -> None:
        """404 unless the task shared as `token` still exists and `name` is its media or poster."""
        doc = self._shared_task(token)
        r = doc["result"]
        if name not in (r.get("object"), r.get("thumbnail_object")):
            raise NotFound("This link was revoked or never existed.")
