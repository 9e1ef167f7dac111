# Manual builds (`gcloud builds submit --service-account=<deployer>`) stage
# the source in a bucket the build's identity must read. The default
# <project>_cloudbuild bucket is created by gcloud on first use, so no IAM
# can be granted on it beforehand: this stack's own staging bucket is, and
# docs/deploy.md's command passes it with --gcs-source-staging-dir.

resource "google_storage_bucket" "build_source" {
  name                        = "${var.project_id}-${var.name_prefix}-build-src"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # staged tarballs only

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

# deployer: reads the staged source of a manual build.
resource "google_storage_bucket_iam_member" "deployer_reads_build_source" {
  bucket = google_storage_bucket.build_source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.deployer.member
}

output "build_source_staging_dir" {
  description = "Pass to gcloud builds submit --gcs-source-staging-dir (manual builds as the deployer)."
  value       = "gs://${google_storage_bucket.build_source.name}/source"
}
