"""Media references: signed proxy URLs, object names, and upload checks.

A client only ever sees `/api/ai/proxy?url=gs://<bucket>/<object>&sig=<hex>`.
The signature is an HMAC-SHA256 of the `gs://` reference with the
media-signing key (a secret, rotatable: signatures made with the previous
version stay valid, so rotation never breaks links already handed out).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from common.errors import Forbidden, InvalidRequest, PayloadTooLarge, UnsupportedMediaType

PROXY_PATH = "/api/ai/proxy"
# Object names we create: media/<user>/<task>[.thumb].<ext> and uploads/<user>/<sha256>.<ext>.
_OBJECT_NAME = re.compile(r"^(media|uploads)/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_.-]{1,128}$")
_HEX_SIG = re.compile(r"[0-9a-fA-F]{64}")  # also keeps non-ASCII out of hmac.compare_digest (it raises on those)
ALLOWED_UPLOADS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "video/mp4": "mp4"}
MAX_PIXELS = 7680 * 4320  # 8K UHD; the default of MAX_UPLOAD_PIXELS


@dataclass(frozen=True)
class MediaRef:
    """A validated object of the media bucket: `bucket` and object `name` ("media/<user_id>/..." or "uploads/<user_id>/...")."""
    bucket: str
    name: str

    @property
    def gs(self) -> str:
        """The object as a gs://bucket/name URI."""
        return f"gs://{self.bucket}/{self.name}"

    @property
    def owner(self) -> str:
        """The user id the object belongs to: the second path segment of its name."""
        return self.name.split("/")[1]


class MediaSigner:
    """Signs and verifies proxy URLs for objects of one bucket."""

    def __init__(self, *, bucket: str, keys: Callable[[], list[str]]) -> None:
        self._bucket = bucket
        self._keys = keys  # newest first; older ones are accepted during rotation

    def _mac(self, key: str, ref: str) -> str:
        return hmac.new(key.encode(), ref.encode(), hashlib.sha256).hexdigest()

    def url_for(self, name: str, *, share: str | None = None) -> str:
        """A proxy URL for `name`. With `share`, the link is bound to that share token: the proxy
        serves it only while the share exists, so revoking the share revokes the link."""
        ref = f"gs://{self._bucket}/{name}"
        if share is None:
            return f"{PROXY_PATH}?url={quote(ref, safe='')}&sig={self._mac(self._keys()[0], ref)}"
        return (f"{PROXY_PATH}?url={quote(ref, safe='')}&share={quote(share, safe='')}"
                f"&sig={self._mac(self._keys()[0], _shared(ref, share))}")

    def verify(self, ref: str | None, sig: str | None, *, share: str | None = None) -> MediaRef:
        """The object a (url, sig[, share]) triple names, or Forbidden. Nothing is fetched before this passes."""
        if not ref or not sig or len(ref) > 1024 or not _HEX_SIG.fullmatch(sig):
            raise Forbidden("This media link is not valid.", code="bad_signature")
        if share is not None and (len(share) > 100 or not share.isascii()):
            raise Forbidden("This media link is not valid.", code="bad_signature")
        parsed = parse_gs(ref, bucket=self._bucket)
        if parsed is None:
            raise Forbidden("This media link is not valid.", code="bad_signature")
        message = ref if share is None else _shared(ref, share)
        if not any(hmac.compare_digest(self._mac(k, message), sig.lower()) for k in self._keys() if k):
            raise Forbidden("This media link is not valid.", code="bad_signature")
        return parsed

    def verify_url(self, url: str, *, owner: str) -> MediaRef:
        """A proxy URL given back in a request body (start frame, reference image) that the caller owns."""
        parts = urlsplit(url)
        if parts.path != PROXY_PATH:
            raise InvalidRequest("Media must be a link from this studio (a /api/ai/proxy URL).")
        query = parse_qs(parts.query)
        ref = self.verify((query.get("url") or [""])[0], (query.get("sig") or [""])[0])
        if ref.owner != owner:
            raise Forbidden("This media link is not yours.", code="forbidden")
        return ref


def _shared(ref: str, share: str) -> str:
    # A distinct message: a share-bound signature can never pass as a plain one, or the reverse.
    return f"{ref}\nshare={share}"


def parse_gs(ref: str, *, bucket: str) -> MediaRef | None:
    """The MediaRef of a gs:// URI in `bucket`, or None when it names another bucket or an unsafe object name
    (characters outside the allowed set, `..`, a hidden last segment).
    """
    prefix = f"gs://{bucket}/"
    if not ref.startswith(prefix):
        return None
    name = ref[len(prefix):]
    # fullmatch: `$` of match() would accept a trailing newline; no dot-only or hidden file names.
    if not _OBJECT_NAME.fullmatch(name) or ".." in name or name.rsplit("/", 1)[-1].startswith("."):
        return None
    return MediaRef(bucket, name)


def media_object_name(*, user_id: str, task_id: str, mime_type: str, thumbnail: bool = False) -> str:
    """Object name of a task's result: media/<user_id>/<task_id>.<ext> (ext from `mime_type`, "bin" if unknown),
    or media/<user_id>/<task_id>.thumb.jpg for its thumbnail.
    """
    ext = "jpg" if thumbnail else EXTENSIONS.get(mime_type, "bin")
    return f"media/{user_id}/{task_id}{'.thumb' if thumbnail else ''}.{ext}"


@dataclass(frozen=True)
class CheckedImage:
    """An image that decoded completely: the bytes to store, their `mime_type`, `width`/`height` in pixels and the
    hex SHA-256 of `data`.
    """
    data: bytes
    mime_type: str
    width: int
    height: int
    sha256: str


# Decoding is the memory-heavy part (width * height * 4 bytes): a few at a time per process.
_decode_slots = threading.BoundedSemaphore(2)
TOO_MANY_PIXELS = "The image has too many pixels."


def image_header(data: bytes, *, max_pixels: int) -> tuple[str, int, int]:
    """(format, width, height) read from the header only; 413 over `max_pixels`, 415 if not PNG/JPEG/WebP.

    The pixel limit is checked here, before any decoding, and also catches sizes past
    Pillow's own decompression-bomb threshold (one 413 for every size over the limit).
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            width, height = img.size
    except Image.DecompressionBombError:
        raise PayloadTooLarge(TOO_MANY_PIXELS, details={"max_pixels": max_pixels}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnsupportedMediaType("Upload a PNG, JPEG or WebP image.") from None
    if fmt not in ALLOWED_UPLOADS:
        raise UnsupportedMediaType("Upload a PNG, JPEG or WebP image.", details={"detected": fmt.lower() or None})
    if width * height > max_pixels or width <= 0 or height <= 0:
        raise PayloadTooLarge(TOO_MANY_PIXELS, details={"max_pixels": max_pixels, "width": width, "height": height})
    return fmt, width, height


def decode_image(data: bytes, *, max_pixels: int) -> Image.Image:
    """Every pixel decoded (a truncated or corrupt file fails here, whatever its format), the EXIF
    orientation applied and the colours converted to 8-bit sRGB (RGB, or RGBA with transparency).

    Raises PayloadTooLarge (413) over `max_pixels` before decoding, UnsupportedMediaType (415) when
    the bytes are not a whole PNG/JPEG/WebP image.
    """
    image_header(data, max_pixels=max_pixels)
    with _decode_slots:
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.seek(0)  # animated WebP/PNG: the first frame is the still image
                img.load()
                upright = ImageOps.exif_transpose(img) or img
                return _to_srgb(upright)
        except Image.DecompressionBombError:
            raise PayloadTooLarge(TOO_MANY_PIXELS, details={"max_pixels": max_pixels}) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise UnsupportedMediaType("The image could not be read: the file is damaged or incomplete.",
                                       details={"field": "file"}) from None


def _to_srgb(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if img.mode == "CMYK" or img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if alpha else "RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(img, source, _SRGB, outputMode=img.mode)
            if converted is not None:
                img = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are
    img.info.pop("icc_profile", None)
    return img


_SRGB = ImageCms.createProfile("sRGB")


def check_image_upload(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> CheckedImage:
    """The image as it will be stored: content-checked, fully decoded, upright, sRGB, re-encoded in
    its own format without metadata (so the stored start frame is exactly what the user saw).

    Raises PayloadTooLarge (413: bytes or pixels over the limit), InvalidRequest (400: empty),
    UnsupportedMediaType (415: not a whole PNG/JPEG/WebP image).
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Images can be at most {max_bytes // (1024 * 1024)} MB.", details={"max_bytes": max_bytes})
    if not data:
        raise InvalidRequest("The file is empty.", details={"field": "file"})
    fmt = image_header(data, max_pixels=max_pixels)[0]
    img = decode_image(data, max_pixels=max_pixels)
    out = io.BytesIO()
    if fmt == "JPEG" and img.mode == "RGB":
        img.save(out, format="JPEG", quality=95, subsampling=0)
    elif fmt == "WEBP":
        img.save(out, format="WEBP", quality=95, method=4)
    else:
        fmt = "PNG"
        img.save(out, format="PNG", optimize=False, compress_level=6)
    encoded = out.getvalue()
    return CheckedImage(encoded, ALLOWED_UPLOADS[fmt], img.width, img.height, hashlib.sha256(encoded).hexdigest())
