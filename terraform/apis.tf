locals {
  services_to_enable = toset([
    "run.googleapis.com",              # Cloud Run services
    "cloudtasks.googleapis.com",       # generation queue
    "secretmanager.googleapis.com",    # API keys and signing keys
    "storage.googleapis.com",          # media bucket
    "cloudscheduler.googleapis.com",   # stuck-task sweep
    "artifactregistry.googleapis.com", # container images
    "iamcredentials.googleapis.com",   # OIDC tokens for Cloud Tasks / Scheduler
    "iam.googleapis.com",              # service accounts
    "compute.googleapis.com",          # proxy VM, static IP, firewall
    "cloudbuild.googleapis.com",       # test -> build -> deploy pipeline
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.services_to_enable

  service = each.value
  # Other workloads in the project may rely on these APIs.
  disable_on_destroy = false
}
