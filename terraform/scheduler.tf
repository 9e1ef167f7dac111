# Every minute the worker sweeps: tasks stuck past their deadline are failed
# and refunded, long provider jobs whose poll was lost are re-enqueued.
resource "google_cloud_scheduler_job" "sweep" {
  name             = "${var.name_prefix}-task-sweep"
  region           = var.region
  description      = "POST /api/tasks/sweep on the private worker"
  schedule         = "* * * * *"
  time_zone        = "Etc/UTC"
  attempt_deadline = "120s"

  # A missed run is covered by the next one a minute later.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${local.service_urls["worker"]}/api/tasks/sweep"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.service_urls["worker"]
    }
  }

  depends_on = [google_project_service.enabled, google_cloud_run_v2_service_iam_member.tasks_invoke_worker]
}
