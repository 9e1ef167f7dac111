"""Function `proxy`: signed media references only, streamed with Range support (206) for players."""

from __future__ import annotations

import flask

from common.delivery import media_response
from common.http import Api, Ctx

api = Api("proxy")


@api.route("/api/ai/proxy", methods=["GET", "HEAD"], auth="public")
def proxy(ctx: Ctx) -> flask.Response:
    args = ctx.request.args
    ref = ctx.svc.signer.verify(args.get("url"), args.get("sig"))  # 403 before anything is fetched
    info = ctx.svc.storage.stat(ref.name)
    download = ref.name.rsplit("/", 1)[-1] if args.get("download") == "1" else None
    return media_response(ctx.request, info=info, storage=ctx.svc.storage, download_name=download)
