"""Function `proxy`: signed media references only, streamed with Range support (206) for players."""

from __future__ import annotations

import flask

from common.delivery import media_response
from common.errors import Forbidden, NotFound
from common.http import Api, Ctx
from common.runtime import Services

api = Api("proxy", ip_policy="proxy")  # seeking a video sends many Range requests

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.media", "requests", "google.auth.transport.requests")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("signer")
    svc.media_keys()
    svc.storage.warm()
    svc.storage.ping()  # one pooled connection to storage, opened before the first request


@api.route(
    "/api/ai/proxy", methods=["GET", "HEAD"], auth="public", summary="Signed media, with Range support",
    produces=("application/octet-stream",),
)
def proxy(ctx: Ctx) -> flask.Response:
    """GET/HEAD /api/ai/proxy?url=&sig=[&share=][&download=1]: stream a signed media object with Range support
    (RFC 9110 section 14; 206/416), ETag and Last-Modified. 403 `bad_signature` for a bad, expired or repeated
    parameter, 404 for a revoked share or a missing object.
    """
    args = ctx.request.args
    urls, sigs = args.getlist("url"), args.getlist("sig")
    if len(urls) != 1 or len(sigs) != 1:  # a repeated parameter could mean one thing here and another upstream
        raise Forbidden("This media link is not valid.", code="bad_signature")
    shares = args.getlist("share")
    if len(shares) > 1:
        raise Forbidden("This media link is not valid.", code="bad_signature")
    share = shares[0] if shares else None
    ref = ctx.svc.signer.verify(urls[0], sigs[0], share=share)  # 403 before anything is fetched
    if share is not None:
        ctx.svc.shares.check_media(share, ref.name)  # 404 once the share is revoked or the task deleted
    info = ctx.svc.storage.stat(ref.name)
    download = f"sora-{ref.name.rsplit('/', 1)[-1]}" if args.get("download") == "1" else None
    try:
        response = media_response(ctx.request, info=info, storage=ctx.svc.storage, download_name=download)
    except NotFound:
        # The cached stat named a generation that is gone (the object was rewritten or deleted):
        # stat afresh (NotFound if it really is gone) and answer from the live version.
        info = ctx.svc.storage.stat(ref.name, fresh=True)
        response = media_response(ctx.request, info=info, storage=ctx.svc.storage, download_name=download)
    if share is not None:
        # Revocable: caches must ask again (a 304 while shared, a 404 after), never keep it for a year.
        response.headers["Cache-Control"] = "no-cache"
    return response
