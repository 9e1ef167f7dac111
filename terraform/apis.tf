locals {
  # Needed before anything else: google_project_service calls Service Usage,
  # data.google_project calls Resource Manager. On a brand-new project where
  # even Service Usage is off, `gcloud services enable` them once (docs/deploy.md).
  bootstrap_services = toset([
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
  ])

  services_to_enable = toset(concat([
    "run.googleapis.com",              # Cloud Run services
    "cloudtasks.googleapis.com",       # generation queue
    "secretmanager.googleapis.com",    # API keys and signing keys
    "storage.googleapis.com",          # media bucket
    "cloudscheduler.googleapis.com",   # stuck-task sweep
    "artifactregistry.googleapis.com", # container images
    "iamcredentials.googleapis.com",   # OIDC tokens for Cloud Tasks / Scheduler
    "iam.googleapis.com",              # service accounts
    "compute.googleapis.com",          # proxy VM, static IPs, firewall, NAT, CDN
    "cloudbuild.googleapis.com",       # test -> build -> deploy pipeline
    "logging.googleapis.com",          # proxy VM's Nginx logs (gcplogs driver)
    "monitoring.googleapis.com",       # uptime check and alert policies
    ], var.billing_account != "" ? [
    "billingbudgets.googleapis.com", # optional budget (var.billing_budget_amount)
    ] : [], var.vertex_ai_enabled ? [
    "aiplatform.googleapis.com", # Gemini/Veo through Vertex AI (settings: gemini_mode = vertex)
  ] : []))
}

resource "google_project_service" "bootstrap" {
  for_each = local.bootstrap_services

  service            = each.value
  disable_on_destroy = false
}

resource "google_project_service" "enabled" {
  for_each = local.services_to_enable

  service = each.value
  # Other workloads in the project may rely on these APIs.
  disable_on_destroy = false

  depends_on = [google_project_service.bootstrap]
}
