terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.14"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    # Only used when atlas_enabled (modules/atlas); credentials from
    # MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY.
    mongodbatlas = {
      source  = "mongodb/mongodbatlas"
      version = "~> 1.26"
    }
  }

  # State holds the generated signing keys: keep it in a private bucket.
  #   terraform init -backend-config="bucket=<project>-tfstate"
  backend "gcs" {
    prefix = "sora-studio"
  }
}

locals {
  # On every resource that takes labels: default_labels below for those with
  # a `labels` argument, `user_labels = local.labels` for monitoring objects.
  labels = merge(var.labels, {
    app        = "sora-studio"
    stack      = var.name_prefix
    managed-by = "terraform"
  })
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = local.labels
}

data "google_project" "this" {
  project_id = var.project_id

  # On a fresh project the Resource Manager API is enabled by this apply:
  # read the project after it (no delay once the API is on).
  depends_on = [google_project_service.bootstrap]
}

# Region and zone are checked against what Google offers today, not a
# hand-written pattern (europe-west10, me-central2, ... all pass).
data "google_cloud_run_locations" "available" {
  project = var.project_id

  depends_on = [google_project_service.enabled]

  lifecycle {
    postcondition {
      condition     = contains(self.locations, var.region)
      error_message = "region ${var.region} is not a Cloud Run region of this project (gcloud run regions list)."
    }
  }
}

data "google_compute_zones" "proxy_region" {
  count = var.proxy_vps_enabled ? 1 : 0

  project = var.project_id
  region  = var.region

  depends_on = [google_project_service.enabled]

  lifecycle {
    postcondition {
      condition     = contains(self.names, var.proxy_zone)
      error_message = "proxy_zone ${var.proxy_zone} is not a zone of region ${var.region} (gcloud compute zones list --filter=region:${var.region})."
    }
  }
}
