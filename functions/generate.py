"""Function `generate`: create image/video tasks, uploads, list/get/delete own tasks."""

from __future__ import annotations

import flask

from common.errors import InvalidRequest, PayloadTooLarge
from common.http import Api, Ctx, to_response
from common.models import (
    CreateImageRequest,
    CreateVideoRequest,
    EnhancePromptRequest,
    EnhancePromptResponse,
    PublicShare,
    ShareLink,
    Task,
    TaskGroup,
    TaskListQuery,
    TaskPage,
    UploadResult,
)
from common.runtime import Services

api = Api("generate")

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.auth", "common.generation", "common.tasks", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("auth")
    svc.jwt_key()
    svc.warm("generation")
    svc.media_keys()


def _created(ctx: Ctx, docs: list[dict[str, object]], count: int) -> tuple[Task | TaskGroup, int]:
    """One Task for `count` 1 (the original contract); `{items}` for variations."""
    tasks = [ctx.svc.generation.to_api(d) for d in docs]
    return (tasks[0] if count == 1 else TaskGroup(items=tasks)), 202


@api.route(
    "/api/ai/image", methods=["POST"], rate="generate", body=CreateImageRequest, response=(Task, TaskGroup),
    status=202, summary="Generate an image (asynchronous); `count` > 1 answers {items} of the variations", idempotent=True,
)
def create_image(ctx: Ctx) -> tuple[Task | TaskGroup, int]:
    """POST /api/ai/image: charge and queue `count` image tasks (one charge each, all or nothing); 202 Task, or
    {items: [Task]} when `count` > 1. 400 for invalid input or an unsupported option, 402 without quota or credits.
    """
    body = ctx.body(CreateImageRequest)
    return _created(ctx, ctx.svc.generation.create_image(user_id=ctx.user_id, body=body), body.count)


@api.route(
    "/api/ai/video", methods=["POST"], rate="generate", body=CreateVideoRequest, response=(Task, TaskGroup),
    status=202, summary="Generate a video (asynchronous); `count` > 1 answers {items} of the variations", idempotent=True,
)
def create_video(ctx: Ctx) -> tuple[Task | TaskGroup, int]:
    """POST /api/ai/video: charge and queue `count` video tasks (text-, image-, first+last-frame-to-video, remix or
    extend); 202 Task, or {items: [Task]} when `count` > 1. 404 for a `remix_of`/`extend_of` that is not the
    caller's finished video, 400 for an unsupported option, 402 without quota or credits.
    """
    body = ctx.body(CreateVideoRequest)
    return _created(ctx, ctx.svc.generation.create_video(user_id=ctx.user_id, body=body), body.count)


@api.route(
    "/api/ai/prompt/enhance", methods=["POST"], rate="chat", body=EnhancePromptRequest,
    response=EnhancePromptResponse, summary="Rewrite a prompt with the chat model (one chat unit)",
)
def enhance_prompt(ctx: Ctx) -> EnhancePromptResponse:
    """POST /api/ai/prompt/enhance: the chat model's richer rewrite of `prompt` for an image or video; uses one chat unit."""
    from common.enhance import enhance

    body = ctx.body(EnhancePromptRequest)
    return EnhancePromptResponse(prompt=enhance(ctx.svc, user_id=ctx.user_id, prompt=body.prompt, kind=body.kind))


@api.route(
    "/api/ai/tasks/<task_id>/share", methods=["POST"], response=ShareLink, status=201,
    summary="Share a finished task: a public page /s/<token>",
)
def share_task(ctx: Ctx) -> tuple[ShareLink, int]:
    """POST /api/ai/tasks/{id}/share: 201 {url} of the public page /s/<token> (the same link while shared); 404 for
    another user's task, 409 when it is not finished.
    """
    doc = ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id)
    return ShareLink(url=ctx.svc.shares.share(doc)), 201


@api.route(
    "/api/public/shares/<token>", methods=["GET"], auth="public", response=PublicShare,
    summary="A shared task (no sign-in)",
)
def public_share(ctx: Ctx) -> flask.Response:
    """GET /api/public/shares/{token} (no sign-in): a shared task's prompt, type and result with signed media links;
    404 once unshared or deleted. Cache-Control no-cache, so a revocation shows at once.
    """
    response = to_response(ctx.svc.shares.public(ctx.args["token"]))
    response.headers["Cache-Control"] = "no-cache"  # revocation shows at once
    return response


@api.route(
    "/api/ai/tasks/<task_id>/share", methods=["DELETE"], status=204,
    summary="Revoke the share: the page and its media links answer 404",
)
def unshare_task(ctx: Ctx) -> None:
    ctx.svc.shares.revoke(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))


@api.route(
    "/api/ai/uploads", methods=["POST"], rate="upload", response=UploadResult, status=201,
    summary="Upload an image (multipart field `file`)", upload="file",
)
def upload(ctx: Ctx) -> tuple[UploadResult, int]:
    """POST /api/ai/uploads: store a PNG/JPEG/WebP image from multipart field `file` (checked by content); 201 with its
    proxy url, MIME type, size in bytes and pixel size. 413 over MAX_UPLOAD_BYTES, 415 for other content, 400
    without the field.
    """
    limit = ctx.svc.settings.MAX_UPLOAD_BYTES
    if ctx.request.content_length and ctx.request.content_length > limit + 64 * 1024:
        raise PayloadTooLarge(f"Images can be at most {limit // (1024 * 1024)} MB.", details={"max_bytes": limit})
    ctx.request.max_content_length = limit + 64 * 1024  # multipart overhead; werkzeug stops reading past it
    file = ctx.request.files.get("file")
    if file is None:
        raise InvalidRequest("Send the image as multipart/form-data in the field 'file'.", details={"field": "file"})
    data = file.stream.read(limit + 1)
    return ctx.svc.uploads.store(user_id=ctx.user_id, data=data), 201


@api.route(
    "/api/ai/tasks", methods=["GET"], query=TaskListQuery, response=TaskPage,
    summary="Own tasks, newest first (filter by type/status, or poll by ids)",
)
def list_tasks(ctx: Ctx) -> TaskPage:
    """GET /api/ai/tasks: one page of the caller's tasks, newest first, filtered by type/status, or exactly the
    listed `ids` (others' ids simply do not match).
    """
    q = ctx.query(TaskListQuery)
    docs, cursor = ctx.svc.tasks.page(user_id=ctx.user_id, ids=q.id_list(), kind=q.type.value if q.type else None,
                                      status=q.status.value if q.status else None, limit=q.limit, cursor=q.cursor)
    return TaskPage(items=[ctx.svc.generation.to_api(d) for d in docs], next_cursor=cursor)


@api.route("/api/ai/tasks/<task_id>", methods=["GET"], response=Task, summary="One own task")
def get_task(ctx: Ctx) -> Task:
    """GET /api/ai/tasks/{id}: one own task; 404 for an unknown or another user's task."""
    return ctx.svc.generation.to_api(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))


@api.route("/api/ai/tasks/<task_id>/cancel", methods=["POST"], response=Task,
           summary="Cancel a running task; refunds what never reached a provider (or what the provider stopped)")
def cancel_task(ctx: Ctx) -> Task:
    """Stop a running task (409 once it finished); the answer's error message says what was refunded."""
    doc = ctx.svc.generation.cancel(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))
    return ctx.svc.generation.to_api(doc)


@api.route("/api/ai/tasks/<task_id>", methods=["DELETE"], status=204,
           summary="Delete a task and its media (a running one is canceled first)")
def delete_task(ctx: Ctx) -> None:
    ctx.svc.generation.delete(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))


