"""Function `generate`: create image/video tasks, uploads, list/get/delete own tasks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.errors import InvalidRequest, PayloadTooLarge
from common.http import Api, Ctx
from common.models import CreateImageRequest, CreateVideoRequest, Task, TaskPage, TaskStatus, TaskType, UploadResult
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


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: TaskType | None = None
    status: TaskStatus | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


@api.route("/api/ai/image", methods=["POST"], rate="generate", idempotent=True)
def create_image(ctx: Ctx) -> tuple[Task, int]:
    doc = ctx.svc.generation.create_image(user_id=ctx.user_id, body=ctx.body(CreateImageRequest))
    return ctx.svc.generation.to_api(doc), 202


@api.route("/api/ai/video", methods=["POST"], rate="generate", idempotent=True)
def create_video(ctx: Ctx) -> tuple[Task, int]:
    doc = ctx.svc.generation.create_video(user_id=ctx.user_id, body=ctx.body(CreateVideoRequest))
    return ctx.svc.generation.to_api(doc), 202


@api.route("/api/ai/uploads", methods=["POST"], rate="upload")
def upload(ctx: Ctx) -> tuple[UploadResult, int]:
    limit = ctx.svc.settings.MAX_UPLOAD_BYTES
    if ctx.request.content_length and ctx.request.content_length > limit + 64 * 1024:
        raise PayloadTooLarge(f"Images can be at most {limit // (1024 * 1024)} MB.", details={"max_bytes": limit})
    ctx.request.max_content_length = limit + 64 * 1024  # multipart overhead; werkzeug stops reading past it
    file = ctx.request.files.get("file")
    if file is None:
        raise InvalidRequest("Send the image as multipart/form-data in the field 'file'.", details={"field": "file"})
    data = file.stream.read(limit + 1)
    return ctx.svc.uploads.store(user_id=ctx.user_id, data=data), 201


@api.route("/api/ai/tasks", methods=["GET"])
def list_tasks(ctx: Ctx) -> TaskPage:
    q = ctx.query(TaskQuery)
    filters: dict[str, object] = {"user_id": ctx.user_id}
    if q.type:
        filters["type"] = q.type.value
    if q.status:
        filters["status"] = q.status.value
    docs, cursor = ctx.svc.tasks.page(filters=filters, limit=q.limit, cursor=q.cursor)
    return TaskPage(items=[ctx.svc.generation.to_api(d) for d in docs], next_cursor=cursor)


@api.route("/api/ai/tasks/<task_id>", methods=["GET"])
def get_task(ctx: Ctx) -> Task:
    return ctx.svc.generation.to_api(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))


@api.route("/api/ai/tasks/<task_id>/cancel", methods=["POST"])
def cancel_task(ctx: Ctx) -> Task:
    """Stop a running task (409 once it finished); the answer's error message says what was refunded."""
    doc = ctx.svc.generation.cancel(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))
    return ctx.svc.generation.to_api(doc)


@api.route("/api/ai/tasks/<task_id>", methods=["DELETE"])
def delete_task(ctx: Ctx) -> None:
    ctx.svc.generation.delete(ctx.svc.tasks.get_owned(ctx.args["task_id"], ctx.user_id))


