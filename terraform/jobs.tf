# The index deploy step (scripts/ensure_indexes.py) as a Cloud Run job, run
# by Cloud Build once per release before any service gets the new image. A
# job, not a build step: it runs where the services run (same VPC egress and
# NAT IP, so an Atlas allow-list holding only that IP admits it) with its own
# identity, which reads the MongoDB URI and nothing else.

resource "google_service_account" "migrate" {
  account_id   = "${var.name_prefix}-migrate"
  display_name = "Sora Studio index deploy step (Cloud Run job)"
}

# migrate: the database URI only.
resource "google_secret_manager_secret_iam_member" "migrate_mongodb_uri" {
  secret_id = google_secret_manager_secret.s["mongodb-uri"].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.migrate.member
}

# deployer: updates the job's image and executes it as the migrate account.
resource "google_service_account_iam_member" "deployer_acts_as_migrate" {
  service_account_id = google_service_account.migrate.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

resource "google_cloud_run_v2_job" "ensure_indexes" {
  name                = "${var.name_prefix}-ensure-indexes"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count = 1

    template {
      service_account = google_service_account.migrate.email
      timeout         = "900s"
      max_retries     = 1

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
        image   = var.image
        command = ["python", "-m", "scripts.ensure_indexes"]

        env {
          name = "MONGODB_URI"
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.s["mongodb-uri"].secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  lifecycle {
    # Cloud Build sets the release's image before each execution.
    ignore_changes = [
      template[0].template[0].containers[0].image,
      client,
      client_version,
    ]
  }

  depends_on = [
    google_project_service.enabled,
    google_secret_manager_secret_iam_member.migrate_mongodb_uri,
  ]
}
