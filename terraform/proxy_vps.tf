# The proxy domain: a small VM running Docker Nginx in front of the Cloud Run
# services. Its config is nginx/sora.conf.tmpl rendered here with the same
# variable names nginx/render.py uses (tests/integration/test_nginx.py runs
# the real nginx on it and checks this file passes every variable).

locals {
  # nginx route name => Cloud Run URL: the web app ("frontend") and every function a public
  # row of routes.json reaches.
  nginx_upstreams = merge(
    { frontend = google_cloud_run_v2_service.fn[local.route_table.default].uri },
    { for r in local.route_table.routes : r.function => google_cloud_run_v2_service.fn[r.function].uri if !try(r.internal, false) },
  )
  nginx_hosts = { for name, url in local.nginx_upstreams : name => trimsuffix(trimprefix(url, "https://"), "/") }

  # One nginx location per row of routes.json, the same values nginx/render.py's location_values() builds.
  nginx_api_locations = join("", [
    for r in local.route_table.routes : templatefile("${path.module}/../nginx/location.conf.tmpl", {
      comment  = try(r.comment, "")
      match    = try(r.exact, false) ? "=" : "^~"
      prefix   = r.prefix
      internal = try(r.internal, false)
      stream   = try(r.stream, false)
      media    = try(r.media, false)
      upstream = try(r.internal, false) ? "" : trimsuffix(local.nginx_upstreams[r.function], "/")
      host     = try(r.internal, false) ? "" : local.nginx_hosts[r.function]
    })
  ])

  nginx_values = merge(
    {
      server_name    = var.proxy_domain
      listen_address = "0.0.0.0"
      http_port      = 80
      https_port     = 443
      tls_enabled    = var.proxy_tls_enabled
      tls_cert_path  = "/etc/letsencrypt/live/${var.proxy_domain}/fullchain.pem"
      tls_key_path   = "/etc/letsencrypt/live/${var.proxy_domain}/privkey.pem"
      acme_webroot   = "/var/www/acme"
      # The GCE metadata server resolves public names (and *.run.app).
      resolver         = "169.254.169.254"
      ca_bundle        = "/etc/ssl/certs/ca-certificates.crt"
      worker_user      = "nginx"
      worker_processes = "auto"
      pid_path         = "/var/run/nginx.pid"
      error_log        = "/dev/stderr"
      access_log       = "/dev/stdout"
      temp_dir         = "/var/cache/nginx"
      api_locations    = local.nginx_api_locations
    },
    { for name, url in local.nginx_upstreams : "${name}_upstream" => trimsuffix(url, "/") },
    # Host header and TLS name sent to Cloud Run: the URL's host.
    { for name, host in local.nginx_hosts : "${name}_host" => host },
  )

  nginx_template = "${path.module}/../nginx/sora.conf.tmpl"
  nginx_conf     = templatefile(local.nginx_template, local.nginx_values)
  # HTTP-only variant: serves ACME challenges until the certificate exists.
  nginx_conf_http = templatefile(local.nginx_template, merge(local.nginx_values, { tls_enabled = false }))
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

  # The startup script runs at every boot: it fetches the installer and the
  # rendered configs from metadata and converges the VM (proxy_install.sh is
  # idempotent). After a metadata change, apply it without a reboot with
  #   sudo google_metadata_script_runner startup
  metadata = {
    enable-oslogin   = "TRUE"
    proxy-install-sh = file("${path.module}/../nginx/proxy_install.sh")
    nginx-conf       = local.nginx_conf
    nginx-conf-http  = local.nginx_conf_http
    startup-script   = <<-EOT
      #!/bin/bash
      set -euo pipefail
      md="http://metadata.google.internal/computeMetadata/v1/instance/attributes"
      install -d -m 0755 /opt/sora-proxy
      for key in proxy-install-sh nginx-conf nginx-conf-http; do
        curl -fsS -H "Metadata-Flavor: Google" "$md/$key" -o "/opt/sora-proxy/$key"
      done
      exec bash /opt/sora-proxy/proxy-install-sh \
        --config /opt/sora-proxy/nginx-conf \
        --http-config /opt/sora-proxy/nginx-conf-http \
        --domain '${var.proxy_domain}' \
        --email '${var.admin_email}' \
        --image '${var.proxy_nginx_image}' \
        ${var.proxy_tls_enabled ? "--tls" : ""}
    EOT
  }

  allow_stopping_for_update = true

  depends_on = [google_project_service.enabled]
}
