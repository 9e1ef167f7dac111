# Every deployable is its own Cloud Run service running the same image with
# `functions-framework --target=<FUNCTION_TARGET>` (Cloud Functions gen2 caps
# responses at 32 MB; Cloud Run streams video without a cap).

locals {
  # timeout: 600 s where a request may stream for minutes (chat, media) or run
  # a generation step (worker). concurrency: requests per instance.
  service_settings = {
    web      = { memory = "256Mi", cpu = "1", timeout = 30, concurrency = 200, public = true }
    auth     = { memory = "512Mi", cpu = "1", timeout = 60, concurrency = 40, public = true } # argon2id: 64 MiB x HASH_CONCURRENCY (2)
    generate = { memory = "512Mi", cpu = "1", timeout = 120, concurrency = 40, public = true }
    chat     = { memory = "512Mi", cpu = "1", timeout = 600, concurrency = 40, public = true }
    proxy    = { memory = "512Mi", cpu = "1", timeout = 600, concurrency = 80, public = true }
    billing  = { memory = "512Mi", cpu = "1", timeout = 60, concurrency = 40, public = true }
    admin    = { memory = "512Mi", cpu = "1", timeout = 120, concurrency = 20, public = true }
    worker   = { memory = "2Gi", cpu = "2", timeout = 600, concurrency = 4, public = false } # encodes media
  }

  # Deterministic Cloud Run URLs (https://<service>-<project number>.<region>.run.app)
  # are known before the services exist, so services can point at each other
  # (WORKER_URL, the web runtime config) without dependency cycles.
  service_names = { for k, _ in local.service_settings : k => "${var.name_prefix}-${k}" }
  service_urls = {
    for k, name in local.service_names :
    k => "https://${name}-${data.google_project.this.number}.${var.region}.run.app"
  }

  public_base_url = "https://${var.proxy_domain}"
  cors_origins = join(",", concat(
    [local.public_base_url, local.service_urls["web"]],
    var.extra_cors_origins,
  ))

  common_env = {
    ENV                   = "production"
    GCP_PROJECT           = var.project_id
    GCS_BUCKET            = google_storage_bucket.media.name
    SECRETS_BACKEND       = "secretmanager"
    SECRET_ID_PREFIX      = local.secret_id_prefix
    QUEUE_BACKEND         = "cloudtasks"
    CLOUD_TASKS_QUEUE     = google_cloud_tasks_queue.generation.name
    CLOUD_TASKS_LOCATION  = google_cloud_tasks_queue.generation.location
    WORKER_URL            = "${local.service_urls["worker"]}/api/tasks/run"
    WORKER_AUDIENCE       = local.service_urls["worker"]
    TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    CORS_ORIGINS          = local.cors_origins
    PUBLIC_BASE_URL       = local.public_base_url
    ADMIN_EMAIL           = var.admin_email
    GOOGLE_CLIENT_ID      = var.google_client_id # auth verifies ID tokens for it; web serves it in /config.json
    # Whose X-Forwarded-For / X-Real-IP the rate limits believe (common/ratelimit.py client_ip):
    # Cloud Run's front end as the container sees it, the proxy VM, and any other proxy of the operator's.
    TRUSTED_PROXIES = join(",", concat(
      ["169.254.0.0/16"],
      var.proxy_vps_enabled ? ["${google_compute_address.proxy[0].address}/32"] : [],
      var.extra_trusted_proxies,
    ))
  }

  # The web service answers /config.json with these absolute function URLs
  # for a frontend opened on its run.app origin (the worker is not listed).
  web_env = {
    FUNCTION_URLS = jsonencode({ for fn in local.functions : fn => local.service_urls[fn] if fn != "worker" })
  }

  # Secret-backed env vars, resolved by Cloud Run at instance start (the
  # other secrets are read by name at runtime, so rotations need no redeploy).
  # Values are logical names: the secret id is "<name_prefix>-<name>".
  secret_env = {
    MONGODB_URI    = "mongodb-uri"
    ADMIN_PASSWORD = "admin-password"
  }
}

resource "google_cloud_run_v2_service" "fn" {
  for_each = local.service_settings

  name     = local.service_names[each.key]
  location = var.region
  # The worker only takes Cloud Tasks and Cloud Scheduler calls, which count
  # as internal traffic of the project; everything else is reached through
  # the proxy VPS or directly by browsers.
  ingress             = each.value.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection
  custom_audiences    = each.key == "worker" ? [local.service_urls["worker"]] : null

  template {
    service_account                  = google_service_account.fn[each.key].email
    timeout                          = "${each.value.timeout}s"
    max_instance_request_concurrency = each.value.concurrency

    scaling {
      min_instance_count = 0
      max_instance_count = var.max_instances
    }

    # Optional: all outbound traffic through the VPC and Cloud NAT's static
    # IP (egress.tf), for MongoDB allow-lists.
    dynamic "vpc_access" {
      for_each = var.egress_static_ip_enabled ? [1] : []
      content {
        egress = "ALL_TRAFFIC"
        network_interfaces {
          network    = google_compute_network.egress[0].id
          subnetwork = google_compute_subnetwork.egress[0].id
        }
      }
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = each.value.cpu
          memory = each.value.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      env {
        name  = "FUNCTION_TARGET"
        value = each.key
      }

      dynamic "env" {
        # THREADS: functions-framework's gunicorn runs one worker with THREADS threads (default cpu x 4);
        # one thread per request Cloud Run may send, so the declared concurrency is really served
        # (bench/concurrency.py measures it).
        for_each = merge(local.common_env, each.key == "web" ? local.web_env : {}, { THREADS = tostring(each.value.concurrency) })
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.s[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      startup_probe {
        tcp_socket {
          port = 8080
        }
        initial_delay_seconds = 0
        period_seconds        = 3
        failure_threshold     = 20
      }
    }
  }

  lifecycle {
    # Cloud Build rolls out new images (gcloud run deploy), which also
    # stamps the client fields and the user-image annotations; Terraform keeps
    # owning everything else (no perpetual diff after a deploy).
    ignore_changes = [
      template[0].containers[0].image,
      client,
      client_version,
      annotations["client.knative.dev/user-image"],
      template[0].annotations["client.knative.dev/user-image"],
      annotations["run.googleapis.com/client-name"],
      annotations["run.googleapis.com/client-version"],
    ]
  }

  depends_on = [
    google_project_service.enabled,
    google_secret_manager_secret_iam_member.reader,
    google_secret_manager_secret_version.admin_password,
    google_secret_manager_secret_version.mongodb_uri,
  ]
}

# Browsers call every service but the worker without Google credentials; the
# services do their own auth (JWT, roles, media signatures).
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = { for k, v in local.service_settings : k => v if v.public }

  name     = google_cloud_run_v2_service.fn[each.key].name
  location = google_cloud_run_v2_service.fn[each.key].location
  role     = "roles/run.invoker"
  member   = "allUsers"
}
