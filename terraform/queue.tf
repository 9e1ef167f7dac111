resource "google_cloud_tasks_queue" "generation" {
  name     = var.queue_name
  location = var.region

  # A step is retried when the worker answers 5xx or the dispatch deadline
  # passes. Steps are idempotent (DESIGN.md), so a retry never charges or
  # generates twice; the last attempt fails the task and refunds it.
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
