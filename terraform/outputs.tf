output "service_urls" {
  description = "Cloud Run URL of every service (the worker is private)."
  value       = { for k, s in google_cloud_run_v2_service.fn : k => s.uri }
}

output "deterministic_service_urls" {
  description = "The same services under their deterministic URLs (used for WORKER_URL and CORS)."
  value       = local.service_urls
}

output "proxy_ip" {
  description = "Static IP of the proxy VM: point the proxy_domain A record here."
  value       = var.proxy_vps_enabled ? google_compute_address.proxy[0].address : null
}

output "public_url" {
  description = "Where users open Sora Studio."
  value       = local.public_base_url
}

output "media_bucket" {
  description = "Media bucket name."
  value       = google_storage_bucket.media.name
}

output "image_repository" {
  description = "Artifact Registry path to push the image to (cloudbuild.yaml _REPOSITORY)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "deployer_service_account" {
  description = "Service account to run the Cloud Build trigger as."
  value       = google_service_account.deployer.email
}

output "tasks_invoker_service_account" {
  description = "OIDC identity of Cloud Tasks and Cloud Scheduler calls to the worker."
  value       = google_service_account.tasks_invoker.email
}

output "nginx_conf" {
  description = "The rendered Nginx config (for a proxy run outside this VM)."
  value       = local.nginx_conf
}

output "egress_ip" {
  description = "Static outbound IP of the services (egress_static_ip_enabled): allow-list it in MongoDB / firewalls."
  value       = var.egress_static_ip_enabled ? google_compute_address.egress[0].address : null
}

output "cdn_ip" {
  description = "IP of the Cloud CDN load balancer (cdn_enabled): point the cdn_domain A record here."
  value       = var.cdn_enabled ? google_compute_global_address.media[0].address : null
}

output "secret_ids" {
  description = "Secret Manager ids of this stack (logical name => id)."
  value       = { for k, s in google_secret_manager_secret.s : k => s.secret_id }
}

output "queue_name" {
  description = "Cloud Tasks queue of this stack."
  value       = google_cloud_tasks_queue.generation.name
}

output "nginx_conf_pending" {
  description = "The pre-certificate Nginx config (ACME + 503), for a proxy run outside this VM."
  value       = local.nginx_conf_pending
}
