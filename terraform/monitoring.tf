# Someone is paged when users cannot reach the site, when the services fail,
# when generation steps fail (a worker answering 403 to Cloud Tasks
# included: every such step is lost until the sweep refunds it) and when
# the queue falls behind. Plus an optional monthly budget.

locals {
  alert_email      = var.alert_email != "" ? var.alert_email : var.admin_email
  service_name_set = join(", ", [for name in values(local.service_names) : "\"${name}\""])
}

resource "google_monitoring_notification_channel" "email" {
  display_name = "${var.name_prefix} on-call e-mail"
  type         = "email"
  labels       = { email_address = local.alert_email }
  user_labels  = local.labels

  depends_on = [google_project_service.enabled]
}

# /api/health through the proxy domain: DNS, certificate, Nginx, the auth
# service and its database checks, end to end, from several continents.
resource "google_monitoring_uptime_check_config" "health" {
  display_name = "${var.name_prefix} /api/health via ${var.proxy_domain}"
  timeout      = "10s"
  period       = "60s"
  user_labels  = local.labels

  http_check {
    path         = "/api/health"
    port         = 443
    use_ssl      = true
    validate_ssl = true
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  content_matchers {
    content = "\"status\": *\"ok\""
    matcher = "MATCHES_REGEX"
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.proxy_domain
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "uptime" {
  display_name          = "${var.name_prefix}: ${var.proxy_domain}/api/health failing"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = local.labels

  conditions {
    display_name = "uptime check failing from 2+ regions"
    condition_threshold {
      filter          = "resource.type = \"uptime_url\" AND metric.type = \"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.labels.check_id = \"${google_monitoring_uptime_check_config.health.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"
      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.*"]
      }
    }
  }

  documentation {
    content   = "The proxy domain does not answer /api/health. Check DNS, the proxy VM (docker logs sora-nginx), the certificate, then the auth service's logs. Runbook: docs/deploy.md, 'Alerts'."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "http_5xx" {
  display_name          = "${var.name_prefix}: services answering 5xx"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = local.labels

  conditions {
    display_name = "5xx per second above ${var.alert_5xx_per_second}"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = one_of(${local.service_name_set})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_5xx_per_second
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Cloud Run services answer 5xx. Logs: resource.type=\"cloud_run_revision\" severity>=ERROR. A bad deploy: roll back (docs/deploy.md, 'Rollback')."
    mime_type = "text/markdown"
  }
}

# The worker is only called by Cloud Tasks and Cloud Scheduler: any non-2xx
# answer is a lost step. 403/401 mean the OIDC identity or audience is wrong
# (nothing will succeed until fixed); 5xx are failing generations.
resource "google_monitoring_alert_policy" "worker_failures" {
  display_name          = "${var.name_prefix}: worker rejecting or failing task deliveries"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = local.labels

  conditions {
    display_name = "worker answers 4xx/5xx (403 = Cloud Tasks identity refused)"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND resource.labels.service_name = \"${local.service_names["worker"]}\" AND metric.labels.response_code_class = one_of(\"4xx\", \"5xx\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "Cloud Tasks attempts not OK"
    condition_threshold {
      filter          = "resource.type = \"cloud_tasks_queue\" AND metric.type = \"cloudtasks.googleapis.com/queue/task_attempt_count\" AND resource.labels.queue_id = \"${google_cloud_tasks_queue.generation.name}\" AND metric.labels.response_code != \"ok\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Generation steps fail. A 403/401 means Cloud Tasks' OIDC token is refused: check the tasks-invoker's run.invoker on the worker and WORKER_AUDIENCE. Tasks are refunded by the sweep after their deadline."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "queue_delay" {
  display_name          = "${var.name_prefix}: generation queue falling behind"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = local.labels

  conditions {
    display_name = "p99 attempt delay above ${var.alert_queue_delay_s} s"
    condition_threshold {
      filter          = "resource.type = \"cloud_tasks_queue\" AND metric.type = \"cloudtasks.googleapis.com/queue/task_attempt_delays\" AND resource.labels.queue_id = \"${google_cloud_tasks_queue.generation.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_queue_delay_s * 1000 # the metric is in ms
      duration        = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }

  documentation {
    content   = "Steps start late: the queue's rate limits (queue_max_dispatches_per_second, queue_max_concurrent_dispatches) or the worker's max_instances are too low for the load, or the worker is failing and retries pile up."
    mime_type = "text/markdown"
  }
}

# Optional: a monthly budget on the billing account, e-mailing the same
# channel at 50/90/100 % of actual and 100 % of forecast spend.
resource "google_billing_budget" "monthly" {
  count = var.billing_account != "" ? 1 : 0

  billing_account = var.billing_account
  display_name    = "${var.name_prefix} monthly budget"

  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }

  amount {
    specified_amount {
      units = tostring(var.billing_budget_amount)
    }
  }

  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = [google_monitoring_notification_channel.email.id]
    disable_default_iam_recipients   = false
  }

  depends_on = [google_project_service.enabled]
}
