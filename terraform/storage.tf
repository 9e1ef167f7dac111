locals {
  media_bucket_name = var.media_bucket_name != "" ? var.media_bucket_name : "${var.project_id}-${var.name_prefix}-media"
}

resource "google_storage_bucket" "media" {
  name     = local.media_bucket_name
  location = var.region

  # Access only through IAM on the bucket; media reach browsers through the
  # signed /api/ai/proxy URLs, never as public objects.
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  # The browser only ever talks to the proxy domain (or the run.app URLs);
  # this covers direct reads should the backend ever hand out GCS URLs.
  cors {
    origin          = ["https://${var.proxy_domain}"]
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag"]
    max_age_seconds = 3600
  }

  # No age-based delete on uploads/: tasks and chat messages keep using an upload for as long as
  # they exist. The app deletes uploads that nothing references (common/uploads.py, in the sweep).

  # Scratch space of the worker (partial renders, thumbnails in progress).
  lifecycle_rule {
    condition {
      age            = 1
      matches_prefix = ["tmp/"]
    }
    action {
      type = "Delete"
    }
  }

  # Multipart leftovers of interrupted resumable uploads.
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.enabled]
}
