# The proxy domain: a small VM running Docker Nginx in front of the Cloud Run
# services. Its config is nginx/sora.conf.tmpl rendered here with the same
# variable names nginx/render.py uses (tests/integration/test_nginx.py runs
# the real nginx on it and checks this file passes every variable).

locals {
  # nginx route name => Cloud Run URL: the web app ("frontend") and every function a public row of
  # routes.json (the one path -> function table) reaches; nginx/render.py checks the template's
  # locations against the same file.
  nginx_upstreams = merge(
    { frontend = google_cloud_run_v2_service.fn[local.route_table.default].uri },
    { for r in local.route_table.routes : r.function => google_cloud_run_v2_service.fn[r.function].uri if !try(r.internal, false) },
    # With cdn_enabled the VPS fetches media through Cloud CDN (cdn.tf), so
    # repeat reads are served near the origin too.
    var.cdn_enabled ? { proxy = "https://${var.cdn_domain}" } : {},
  )

  nginx_values = merge(
    {
      server_name    = var.proxy_domain
      listen_address = "0.0.0.0"
      http_port      = 80
      https_port     = 443
      tls_enabled    = var.proxy_tls_enabled
      cert_pending   = false
      # The pinned image (var.proxy_nginx_image, >= 1.25.1) takes `http2 on;`.
      http2_directive = true
      tls_cert_path   = "/etc/letsencrypt/live/${var.proxy_domain}/fullchain.pem"
      tls_key_path    = "/etc/letsencrypt/live/${var.proxy_domain}/privkey.pem"
      tls_chain_path  = "/etc/letsencrypt/live/${var.proxy_domain}/chain.pem"
      acme_webroot    = "/var/www/acme"
      # The GCE metadata server resolves public names (and *.run.app).
      resolver         = "169.254.169.254"
      ca_bundle        = "/etc/ssl/certs/ca-certificates.crt"
      worker_user      = "nginx"
      worker_processes = "auto"
      pid_path         = "/var/run/nginx.pid"
      error_log        = "/dev/stderr"
      access_log       = "/dev/stdout"
      temp_dir         = "/var/cache/nginx"
      # Edge limits per client IP (nginx/render.py DEFAULTS explains each).
      auth_rate              = var.proxy_rate_limits.auth_rate
      auth_burst             = var.proxy_rate_limits.auth_burst
      auth_retry_after_s     = var.proxy_rate_limits.auth_retry_after_s
      generate_rate          = var.proxy_rate_limits.generate_rate
      generate_burst         = var.proxy_rate_limits.generate_burst
      generate_retry_after_s = var.proxy_rate_limits.generate_retry_after_s
      media_conn_limit       = var.proxy_rate_limits.media_conn_limit
      # Slice cache of /api/ai/proxy; proxy_install.sh mounts the host's
      # /var/cache/sora-media here so it survives container restarts.
      media_cache_enabled    = var.proxy_media_cache.enabled
      media_cache_path       = "/var/cache/nginx/sora-media"
      media_cache_max_size   = var.proxy_media_cache.max_size
      media_cache_inactive   = var.proxy_media_cache.inactive
      media_cache_valid      = var.proxy_media_cache.valid
      media_cache_slice_size = "1m"
    },
    { for name, url in local.nginx_upstreams : "${name}_upstream" => trimsuffix(url, "/") },
    # Host header and TLS name sent to Cloud Run: the URL's host.
    { for name, url in local.nginx_upstreams : "${name}_host" => trimsuffix(trimprefix(url, "https://"), "/") },
  )

  nginx_template = "${path.module}/../nginx/sora.conf.tmpl"
  nginx_conf     = templatefile(local.nginx_template, local.nginx_values)
  # Pre-certificate variant: the ACME challenge and a 503 page on :80 until
  # the certificate exists (never the app over plain HTTP).
  nginx_conf_pending = templatefile(local.nginx_template, merge(local.nginx_values, { tls_enabled = false, cert_pending = true }))
}

resource "google_service_account" "proxy_vm" {
  count = var.proxy_vps_enabled ? 1 : 0

  account_id   = "${var.name_prefix}-proxy-vm"
  display_name = "Sora Studio proxy VM (logs and metrics only)"
}

# proxy VM: ships its logs.
resource "google_project_iam_member" "proxy_vm_log_writer" {
  count = var.proxy_vps_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.proxy_vm[0].member
}

# proxy VM: ships its metrics.
resource "google_project_iam_member" "proxy_vm_metric_writer" {
  count = var.proxy_vps_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = google_service_account.proxy_vm[0].member
}

resource "google_compute_address" "proxy" {
  count = var.proxy_vps_enabled ? 1 : 0

  name   = "${var.name_prefix}-proxy"
  region = var.region

  depends_on = [google_project_service.enabled]
}

resource "google_compute_firewall" "proxy_web" {
  count = var.proxy_vps_enabled ? 1 : 0

  name        = "${var.name_prefix}-proxy-web"
  network     = var.proxy_network
  description = "HTTP (ACME, redirect) and HTTPS to the Sora Studio proxy"
  direction   = "INGRESS"
  target_tags = ["${var.name_prefix}-proxy"]

  source_ranges = ["0.0.0.0/0"]
  allow {
    protocol = "tcp"
    ports    = ["80", "443"]
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_firewall" "proxy_ssh" {
  count = var.proxy_vps_enabled && length(var.proxy_ssh_source_ranges) > 0 ? 1 : 0

  name        = "${var.name_prefix}-proxy-ssh"
  network     = var.proxy_network
  description = "SSH to the Sora Studio proxy from trusted ranges"
  direction   = "INGRESS"
  target_tags = ["${var.name_prefix}-proxy"]

  source_ranges = var.proxy_ssh_source_ranges
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_instance" "proxy" {
  count = var.proxy_vps_enabled ? 1 : 0

  name         = "${var.name_prefix}-proxy"
  zone         = var.proxy_zone
  machine_type = var.proxy_machine_type
  tags         = ["${var.name_prefix}-proxy"]

  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
      size  = 20
      type  = "pd-balanced"
    }
  }

  network_interface {
    network = var.proxy_network
    access_config {
      nat_ip = google_compute_address.proxy[0].address
    }
  }

  service_account {
    email  = google_service_account.proxy_vm[0].email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  # The startup script (nginx/gce_startup.sh, no Terraform values spliced
  # in) runs at every boot: it reads the operator's values and the rendered
  # configs from these metadata keys and runs proxy_install.sh, which is
  # idempotent. After a metadata change, apply it without a reboot with
  #   sudo google_metadata_script_runner startup
  metadata = {
    enable-oslogin     = "TRUE"
    startup-script     = file("${path.module}/../nginx/gce_startup.sh")
    sora-proxy-install = file("${path.module}/../nginx/proxy_install.sh")
    sora-nginx-conf    = local.nginx_conf
    sora-nginx-pending = local.nginx_conf_pending
    sora-domain        = var.proxy_domain
    sora-acme-email    = var.admin_email
    sora-nginx-image   = var.proxy_nginx_image
    sora-tls           = var.proxy_tls_enabled ? "true" : "false"
    sora-log-driver    = "gcplogs" # Nginx access/error logs to Cloud Logging
  }

  allow_stopping_for_update = true

  depends_on = [google_project_service.enabled]
}
