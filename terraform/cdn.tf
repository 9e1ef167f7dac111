# Optional (cdn_enabled): Cloud CDN in front of the media proxy service, on
# its own host name (cdn_domain): a global external HTTPS load balancer with
# a serverless NEG pointing at the proxy Cloud Run service. Media are
# immutable per object generation and the cache key is the whole signed URL
# (query string included), like the VPS Nginx slice cache. Cloud CDN caches
# only what the origin marks cacheable: the proxy's "private" answers are
# cached because the cache mode below ignores origin headers and the key is
# the capability URL itself; a revoked link is refused at revalidation
# (default_ttl).

resource "google_compute_region_network_endpoint_group" "media" {
  count = var.cdn_enabled ? 1 : 0

  name                  = "${var.name_prefix}-media-neg"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloud_run_v2_service.fn["proxy"].name
  }
}

resource "google_compute_backend_service" "media" {
  count = var.cdn_enabled ? 1 : 0

  name                  = "${var.name_prefix}-media"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  enable_cdn            = true

  backend {
    group = google_compute_region_network_endpoint_group.media[0].id
  }

  cdn_policy {
    cache_mode  = "FORCE_CACHE_ALL"
    default_ttl = 600 # then revalidated: the proxy re-checks the signature
    max_ttl     = 600
    client_ttl  = 600
    cache_key_policy {
      include_host         = true
      include_protocol     = true
      include_query_string = true # url + sig: the capability is the key
    }
    negative_caching = false # never keep a 403/404
  }

  log_config {
    enable      = true
    sample_rate = 0.1
  }
}

resource "google_compute_url_map" "media" {
  count = var.cdn_enabled ? 1 : 0

  name            = "${var.name_prefix}-media"
  default_service = google_compute_backend_service.media[0].id
}

resource "google_compute_managed_ssl_certificate" "media" {
  count = var.cdn_enabled ? 1 : 0

  name = "${var.name_prefix}-media"
  managed {
    domains = [var.cdn_domain]
  }

  lifecycle {
    precondition {
      condition     = var.cdn_domain != ""
      error_message = "cdn_enabled needs cdn_domain."
    }
  }
}

resource "google_compute_target_https_proxy" "media" {
  count = var.cdn_enabled ? 1 : 0

  name             = "${var.name_prefix}-media"
  url_map          = google_compute_url_map.media[0].id
  ssl_certificates = [google_compute_managed_ssl_certificate.media[0].id]
}

resource "google_compute_global_address" "media" {
  count = var.cdn_enabled ? 1 : 0

  name = "${var.name_prefix}-media"
}

resource "google_compute_global_forwarding_rule" "media" {
  count = var.cdn_enabled ? 1 : 0

  name                  = "${var.name_prefix}-media"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  target                = google_compute_target_https_proxy.media[0].id
  ip_address            = google_compute_global_address.media[0].address
  port_range            = "443"
}
