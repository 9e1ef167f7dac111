# A deleted queue's name cannot be reused for about 7 days: the name carries
# a random suffix made once per stack, so destroy + apply gets a fresh one.
resource "random_id" "queue_suffix" {
  byte_length = 3
}

locals {
  queue_name = "${var.name_prefix}-${var.queue_name}-${random_id.queue_suffix.hex}"
}

# The ONE owner of the production retry policy. The worker never counts
# attempts: a step that keeps failing is retried with this backoff until
# max_attempts or max_retry_duration; the task is failed and refunded by the
# sweep (scheduler.tf) once its deadline, TASK_DEADLINE_S = 1800 s, passes.
# common/queue.py's RetryPolicy only drives the local stack's in-process
# queue, faster on purpose; tests/unit/test_terraform.py keeps that comment
# and these numbers in step.
resource "google_cloud_tasks_queue" "generation" {
  name     = local.queue_name
  location = var.region

  # A step is retried when the worker answers non-2xx or the dispatch
  # deadline passes. Steps are idempotent (DESIGN.md), so a retry never
  # charges or generates twice.
  retry_config {
    max_attempts       = var.queue_max_attempts
    max_retry_duration = "3600s"
    min_backoff        = "5s"
    max_backoff        = "300s"
    max_doublings      = 4
  }

  # Providers rate-limit per key: keep bursts bounded.
  rate_limits {
    max_dispatches_per_second = var.queue_max_dispatches_per_second
    max_concurrent_dispatches = var.queue_max_concurrent_dispatches
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}
