"""Function `worker` (private): runs one step of a generation task per Cloud Tasks delivery.

2xx means done or nothing to do; 5xx asks Cloud Tasks to retry (API.md).
"""

from __future__ import annotations

import hmac
import logging

from common.errors import Forbidden, ServiceUnavailable
from common.http import Api, Ctx
from common.invoker import InvokerPolicy, InvokerRefused, bearer_token, check_invoker
from common.models import RunTaskRequest
from common.runtime import Services

log = logging.getLogger(__name__)
api = Api("worker", ip_policy=None)  # only the queue and the scheduler call it

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.generation", "common.tasks", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("generation")
    if svc.settings.ENV != "production":
        svc.worker_secret()


def _verify_caller(ctx: Ctx) -> None:
    """Production: the OIDC token Cloud Run forwards, signature removed (common/invoker.py); the
    local stack: the shared secret header `X-Worker-Secret`, which production never accepts."""
    s = ctx.svc.settings
    if s.ENV != "production":
        given = ctx.request.headers.get("X-Worker-Secret", "")
        if given and hmac.compare_digest(given.encode(), ctx.svc.worker_secret().encode()):
            return
        raise Forbidden("Only the task queue may call the worker.", code="forbidden")
    policy = InvokerPolicy.for_worker(service_account=s.TASKS_SERVICE_ACCOUNT, audience=s.WORKER_AUDIENCE)
    try:
        check_invoker(bearer_token(ctx.request.headers.get("Authorization")), policy)
    except InvokerRefused as exc:
        log.warning("worker call refused", extra={"reason": str(exc), "path": ctx.request.path})
        raise Forbidden("Only the task queue may call the worker.", code="forbidden") from None


@api.route("/api/tasks/run", methods=["POST"], auth="public", internal=True)
def run(ctx: Ctx) -> dict[str, str]:
    """POST /api/tasks/run (Cloud Tasks only, OIDC token checked): run one step of a task. 200 {outcome}; 503 `busy`
    with Retry-After while another delivery holds the step, so Cloud Tasks retries; 403 for any other caller.
    """
    _verify_caller(ctx)
    body = ctx.body(RunTaskRequest)
    from common.generation import StepOutcome  # loaded with the service at start-up (PRELOAD)

    outcome = ctx.svc.generation.run_step(body.task_id, step=body.step)
    log.info("worker step", extra={"task_id": body.task_id, "step": body.step, "outcome": outcome.value,
                                   "retry": ctx.request.headers.get("X-CloudTasks-TaskRetryCount")})
    if outcome is StepOutcome.BUSY:
        raise ServiceUnavailable("Another delivery is running this step; retry later.", code="busy",
                                 headers={"Retry-After": "2"})
    return {"outcome": outcome.value}


@api.route("/api/tasks/sweep", methods=["POST"], auth="public", internal=True)
def sweep(ctx: Ctx) -> dict[str, int]:
    """Cloud Scheduler calls this every minute (the reaper); the local stack runs it on a timer."""
    _verify_caller(ctx)
    counts = ctx.svc.generation.sweep()
    counts["uploads_deleted"] = ctx.svc.uploads.collect_orphans(is_referenced=ctx.svc.uploads.referenced)
    return counts
