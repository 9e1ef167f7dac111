# Optional fixed outbound IP for the Cloud Run services (egress_static_ip_enabled):
# Direct VPC egress puts every instance on a subnet of this network, and
# Cloud NAT sends all their internet traffic from one static address, the
# one to allow-list in MongoDB Atlas (modules/atlas does it) or a firewall.
# Without it Cloud Run has no fixed outbound IP and Atlas needs 0.0.0.0/0.

resource "google_compute_network" "egress" {
  count = var.egress_static_ip_enabled ? 1 : 0

  name                    = "${var.name_prefix}-egress"
  auto_create_subnetworks = false

  depends_on = [google_project_service.enabled]
}

resource "google_compute_subnetwork" "egress" {
  count = var.egress_static_ip_enabled ? 1 : 0

  name                     = "${var.name_prefix}-egress-${var.region}"
  region                   = var.region
  network                  = google_compute_network.egress[0].id
  ip_cidr_range            = var.egress_subnet_cidr
  private_ip_google_access = true # Google APIs (Secret Manager, GCS, Tasks) stay off the NAT
}

resource "google_compute_address" "egress" {
  count = var.egress_static_ip_enabled ? 1 : 0

  name         = "${var.name_prefix}-egress"
  region       = var.region
  address_type = "EXTERNAL"
  description  = "Outbound IP of the Sora Studio services (Cloud NAT)"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_router" "egress" {
  count = var.egress_static_ip_enabled ? 1 : 0

  name    = "${var.name_prefix}-egress"
  region  = var.region
  network = google_compute_network.egress[0].id
}

resource "google_compute_router_nat" "egress" {
  count = var.egress_static_ip_enabled ? 1 : 0

  name                               = "${var.name_prefix}-egress"
  region                             = var.region
  router                             = google_compute_router.egress[0].name
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = [google_compute_address.egress[0].self_link]
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.egress[0].id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  # Long provider polls and streamed chat keep connections open.
  min_ports_per_vm                    = 256
  tcp_established_idle_timeout_sec    = 1200
  enable_endpoint_independent_mapping = false

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# MongoDB Atlas: project, cluster, database user and the NAT IP on the
# access list; the connection string goes into the mongodb-uri secret
# (secrets.tf).
module "atlas" {
  source = "./modules/atlas"
  count  = var.atlas_enabled ? 1 : 0

  org_id        = var.atlas_org_id
  project_name  = "${var.name_prefix}-${var.project_id}"
  cluster_name  = "${var.name_prefix}-db"
  region        = var.atlas_region
  instance_size = var.atlas_instance_size
  allowed_ips   = google_compute_address.egress[*].address # empty without egress_static_ip_enabled: refused by the module
  database      = "sora"
}

check "atlas_needs_the_static_egress_ip" {
  assert {
    condition     = !var.atlas_enabled || var.egress_static_ip_enabled
    error_message = "atlas_enabled needs egress_static_ip_enabled: the Atlas access list allows only the NAT IP."
  }
}
