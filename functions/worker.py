"""Function `worker` (private): runs one step of a generation task per Cloud Tasks delivery.

2xx means done or nothing to do; 5xx asks Cloud Tasks to retry (API.md).
"""

from __future__ import annotations

import hmac
import logging

from common.errors import Forbidden, ServiceUnavailable
from common.generation import StepOutcome
from common.http import Api, Ctx
from common.models import RunTaskRequest

log = logging.getLogger(__name__)
api = Api("worker", ip_policy=None)  # only the queue and the scheduler call it


def _verify_caller(ctx: Ctx) -> None:
    """Cloud Tasks' OIDC identity in production; the shared secret header in the local stack."""
    s = ctx.svc.settings
    if s.ENV != "production":
        given = ctx.request.headers.get("X-Worker-Secret", "")
        if given and hmac.compare_digest(given.encode(), ctx.svc.worker_secret().encode()):
            return
        raise Forbidden("Only the task queue may call the worker.", code="forbidden")
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    scheme, _, token = ctx.request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise ValueError("no bearer token")
        claims = id_token.verify_oauth2_token(token, google_requests.Request(), s.WORKER_AUDIENCE)  # type: ignore[no-untyped-call]
    except ValueError:
        raise Forbidden("Only the task queue may call the worker.", code="forbidden") from None
    if claims.get("email") != s.TASKS_SERVICE_ACCOUNT or not claims.get("email_verified"):
        raise Forbidden("Only the task queue may call the worker.", code="forbidden")


@api.route("/api/tasks/run", methods=["POST"], auth="public")
def run(ctx: Ctx) -> dict[str, str]:
    _verify_caller(ctx)
    body = ctx.body(RunTaskRequest)
    outcome = ctx.svc.generation.run_step(body.task_id, step=body.step)
    log.info("worker step", extra={"task_id": body.task_id, "step": body.step, "outcome": outcome.value,
                                   "retry": ctx.request.headers.get("X-CloudTasks-TaskRetryCount")})
    if outcome is StepOutcome.BUSY:
        raise ServiceUnavailable("Another delivery is running this step; retry later.", code="busy",
                                 headers={"Retry-After": "2"})
    return {"outcome": outcome.value}


@api.route("/api/tasks/sweep", methods=["POST"], auth="public")
def sweep(ctx: Ctx) -> dict[str, int]:
    """Cloud Scheduler calls this every minute (the reaper); the local stack runs it on a timer."""
    _verify_caller(ctx)
    return ctx.svc.generation.sweep()
