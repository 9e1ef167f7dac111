"""User uploads (start frames, reference images): content-checked, stored at once, deduplicated."""

from __future__ import annotations

from common.media import EXTENSIONS, MediaSigner, check_image_upload
from common.models import UploadResult
from common.storage import StorageService


class Uploads:
    def __init__(self, *, storage: StorageService, signer: MediaSigner, max_bytes: int) -> None:
        self._storage = storage
        self._signer = signer
        self._max_bytes = max_bytes

    def store(self, *, user_id: str, data: bytes) -> UploadResult:
        image = check_image_upload(data, max_bytes=self._max_bytes)
        # Content-addressed name: the same image uploaded twice is one object.
        name = f"uploads/{user_id}/{image.sha256[:40]}.{EXTENSIONS[image.mime_type]}"
        if not self._storage.exists(name):
            self._storage.upload_bytes(name, image.data, content_type=image.mime_type)
        return UploadResult(url=self._signer.url_for(name), mime_type=image.mime_type, bytes=len(image.data),
                            width=image.width, height=image.height)
