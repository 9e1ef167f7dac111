variable "project_id" {
  description = "Google Cloud project that hosts Sora Studio."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID (6-30 chars: lowercase letters, digits, hyphens)."
  }
}

variable "region" {
  description = "Region for Cloud Run, Cloud Tasks, Cloud Scheduler, Artifact Registry and the media bucket."
  type        = string
  default     = "us-central1"

  # No pattern here: data.google_cloud_run_locations (versions.tf) checks the
  # value against the regions Google offers, so new regions pass.
  validation {
    condition     = trimspace(var.region) == var.region && var.region != ""
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west10."
  }
}

variable "name_prefix" {
  description = "Prefix for service, bucket and account names; lets several stacks share a project."
  type        = string
  default     = "sora"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2-12 chars of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "proxy_domain" {
  description = "Public domain served by the Nginx proxy VPS (e.g. studio.example.com). Used for CORS, PUBLIC_BASE_URL and the TLS certificate."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.proxy_domain))
    error_message = "proxy_domain must be a bare lowercase host name: no scheme, port, path or trailing dot."
  }
}

variable "image" {
  description = "Container image for every service. Only used when a service is created: later images are rolled out by Cloud Build (gcloud run deploy), which Terraform does not undo."
  type        = string
  default     = "us-docker.pkg.dev/cloudrun/container/hello"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^\\s]+$", var.image))
    error_message = "image must be a full image reference such as us-central1-docker.pkg.dev/PROJECT/sora/sora:TAG."
  }
}

variable "admin_email" {
  description = "E-mail of the first administrator (ADMIN_EMAIL for the backend) and the Let's Encrypt account."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.admin_email))
    error_message = "admin_email must be an e-mail address."
  }
}

variable "mongodb_uri" {
  description = "MongoDB connection string (Atlas or self-hosted). Stored in Secret Manager. Leave empty to add the secret version yourself before the services are created (see docs/deploy.md)."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.mongodb_uri == "" || can(regex("^mongodb(\\+srv)?://", var.mongodb_uri))
    error_message = "mongodb_uri must start with mongodb:// or mongodb+srv://."
  }
}

variable "extra_cors_origins" {
  description = "Origins allowed by the backend's CORS besides https://<proxy_domain> and the web service's run.app URL (e.g. a staging site)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.extra_cors_origins : can(regex("^https?://[^/\\s]+$", o))])
    error_message = "Each CORS origin is scheme://host[:port] with no path or trailing slash."
  }
}

variable "google_client_id" {
  description = "OAuth 2.0 web client id for \"Continue with Google\" (Google Identity Services); empty hides the button and POST /api/auth/google answers 404 not_enabled. Add https://<proxy_domain> as an authorised JavaScript origin of the client."
  type        = string
  default     = ""

  validation {
    condition     = var.google_client_id == "" || can(regex("^[0-9A-Za-z-]+\\.apps\\.googleusercontent\\.com$", var.google_client_id))
    error_message = "google_client_id looks like 1234-abc.apps.googleusercontent.com (or empty)."
  }
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services and the media bucket from terraform destroy."
  type        = bool
  default     = true
}

variable "max_instances" {
  description = "Upper bound of instances per Cloud Run service (a cost ceiling)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000
    error_message = "max_instances must be between 1 and 1000."
  }
}

# --- storage -----------------------------------------------------------------

variable "media_bucket_name" {
  description = "Name of the media bucket; empty means <project_id>-<name_prefix>-media."
  type        = string
  default     = ""

  validation {
    condition     = var.media_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.media_bucket_name))
    error_message = "media_bucket_name must be a valid bucket name (3-63 chars, lowercase, digits, - _ .)."
  }
}

variable "uploads_retention_days" {
  description = "Unused: the app deletes uploads nothing references (common/uploads.py); an age rule deleted uploads that tasks still used. Kept so existing tfvars still apply."
  type        = number
  default     = 30

  validation {
    condition     = var.uploads_retention_days >= 1
    error_message = "uploads_retention_days must be at least 1."
  }
}

# --- queue -------------------------------------------------------------------

variable "queue_name" {
  description = "Cloud Tasks queue for generation jobs; created as <name_prefix>-<queue_name>-<random suffix> (a deleted queue's name is blocked for about 7 days)."
  type        = string
  default     = "generation"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,60}$", var.queue_name))
    error_message = "queue_name may only contain letters, digits and hyphens."
  }
}

variable "queue_max_attempts" {
  description = "Deliveries of one step before Cloud Tasks drops it. The task is then failed and refunded by the sweep once its deadline (TASK_DEADLINE_S, 1800 s) passes."
  type        = number
  default     = 8

  validation {
    condition     = var.queue_max_attempts >= 1 && var.queue_max_attempts <= 100
    error_message = "queue_max_attempts must be between 1 and 100."
  }
}

variable "queue_max_dispatches_per_second" {
  description = "Rate at which Cloud Tasks starts generation steps (protects provider quotas)."
  type        = number
  default     = 5

  validation {
    condition     = var.queue_max_dispatches_per_second > 0 && var.queue_max_dispatches_per_second <= 500
    error_message = "queue_max_dispatches_per_second must be in (0, 500]."
  }
}

variable "queue_max_concurrent_dispatches" {
  description = "Generation steps running at the same time."
  type        = number
  default     = 20

  validation {
    condition     = var.queue_max_concurrent_dispatches >= 1 && var.queue_max_concurrent_dispatches <= 5000
    error_message = "queue_max_concurrent_dispatches must be between 1 and 5000."
  }
}

# --- proxy VPS ---------------------------------------------------------------

variable "proxy_vps_enabled" {
  description = "Create the Compute Engine VM running Nginx for proxy_domain. Disable to run the proxy elsewhere (render nginx/sora.conf.tmpl with nginx/render.py)."
  type        = bool
  default     = true
}

variable "proxy_zone" {
  description = "Zone of the proxy VM; must be in var.region (the static IP is regional)."
  type        = string
  default     = "us-central1-a"

  # Checked against the zones of var.region by data.google_compute_zones (versions.tf).
  validation {
    condition     = trimspace(var.proxy_zone) == var.proxy_zone && var.proxy_zone != ""
    error_message = "proxy_zone must be a zone such as us-central1-a."
  }
}

variable "proxy_machine_type" {
  description = "Machine type of the proxy VM."
  type        = string
  default     = "e2-small"
}

variable "proxy_tls_enabled" {
  description = "Obtain a Let's Encrypt certificate for proxy_domain and serve HTTPS (DNS must already point at the proxy IP, see docs/deploy.md)."
  type        = bool
  default     = true
}

variable "proxy_ssh_source_ranges" {
  description = "CIDR ranges allowed to SSH into the proxy VM. Empty: no SSH rule. 35.235.240.0/20 is IAP TCP forwarding."
  type        = list(string)
  default     = ["35.235.240.0/20"]

  validation {
    condition     = alltrue([for r in var.proxy_ssh_source_ranges : can(cidrhost(r, 0))])
    error_message = "Each entry of proxy_ssh_source_ranges must be a CIDR range."
  }
}

variable "proxy_network" {
  description = "VPC network of the proxy VM."
  type        = string
  default     = "default"
}

variable "proxy_nginx_image" {
  description = "Nginx container image run on the proxy VM, pinned (update: docs/deploy.md, 'Updating Nginx'). 1.25.1+ for `http2 on;`."
  type        = string
  default     = "nginx:1.28.0"

  validation {
    condition     = can(regex("^[^\\s:]+:[0-9]+\\.[0-9]+\\.[0-9]+[^\\s]*$|@sha256:[0-9a-f]{64}$", var.proxy_nginx_image))
    error_message = "proxy_nginx_image must be pinned: a version tag such as nginx:1.28.0 or a @sha256 digest, never :stable or :latest."
  }
}

variable "labels" {
  description = "Extra labels for every resource (app, stack and managed-by are always set)."
  type        = map(string)
  default     = {}
}

# --- egress and MongoDB --------------------------------------------------------

variable "egress_static_ip_enabled" {
  description = "Route the services' outbound traffic through a VPC (Direct VPC egress) and Cloud NAT with one static IP, so MongoDB Atlas (or any firewall) can allow-list it instead of 0.0.0.0/0."
  type        = bool
  default     = false
}

variable "egress_subnet_cidr" {
  description = "Range of the subnet Cloud Run instances take addresses from for Direct VPC egress (/26 or larger)."
  type        = string
  default     = "10.8.0.0/24"

  validation {
    condition     = can(cidrhost(var.egress_subnet_cidr, 0)) && tonumber(split("/", var.egress_subnet_cidr)[1]) <= 26
    error_message = "egress_subnet_cidr must be a CIDR range of /26 or larger."
  }
}

variable "atlas_enabled" {
  description = "Create the MongoDB Atlas project, cluster, user and IP access list (modules/atlas) and store its URI in the mongodb-uri secret. Needs egress_static_ip_enabled and MONGODB_ATLAS_PUBLIC_KEY/PRIVATE_KEY."
  type        = bool
  default     = false
}

variable "atlas_org_id" {
  description = "MongoDB Atlas organisation id (atlas_enabled only)."
  type        = string
  default     = ""
}

variable "atlas_region" {
  description = "Atlas region name of the cluster, near var.region (e.g. CENTRAL_US for us-central1, WESTERN_EUROPE for europe-west1)."
  type        = string
  default     = "CENTRAL_US"
}

variable "atlas_instance_size" {
  description = "Atlas cluster tier (M10 and up; dedicated tiers support IP access lists and backups)."
  type        = string
  default     = "M10"
}

# --- monitoring and cost -------------------------------------------------------

variable "alert_email" {
  description = "Where alerts go (an e-mail notification channel). Empty: admin_email."
  type        = string
  default     = ""
}

variable "alert_5xx_per_second" {
  description = "Alert when the services together answer more 5xx per second than this, over 5 minutes."
  type        = number
  default     = 0.05
}

variable "alert_queue_delay_s" {
  description = "Alert when generation steps start this many seconds later than scheduled (99th percentile over 10 minutes)."
  type        = number
  default     = 300
}

variable "billing_account" {
  description = "Billing account id (XXXXXX-XXXXXX-XXXXXX) for the optional budget; empty: no budget."
  type        = string
  default     = ""
}

variable "billing_budget_amount" {
  description = "Monthly budget in the billing account's currency; alerts at 50/90/100% (actual) and 100% (forecast)."
  type        = number
  default     = 100
}

# --- CDN -------------------------------------------------------------------------

variable "cdn_enabled" {
  description = "Put Cloud CDN (an external HTTPS load balancer with a serverless NEG) in front of the proxy (media) service on cdn_domain."
  type        = bool
  default     = false
}

variable "cdn_domain" {
  description = "Host name served by the CDN load balancer (Google-managed certificate); point its A record at output cdn_ip."
  type        = string
  default     = ""
}

# --- proxy: edge limits and media cache ------------------------------------------

variable "proxy_rate_limits" {
  description = "Nginx limits per client IP: auth and generate count writes only (nginx rate syntax r/s or r/m), media caps concurrent downloads. Answers 429 {\"error\":{\"code\":\"rate_limited\"}} with Retry-After."
  type = object({
    auth_rate              = optional(string, "10r/m")
    auth_burst             = optional(number, 10)
    auth_retry_after_s     = optional(number, 30)
    generate_rate          = optional(string, "30r/m")
    generate_burst         = optional(number, 20)
    generate_retry_after_s = optional(number, 10)
    media_conn_limit       = optional(number, 16)
  })
  default = {}

  validation {
    condition     = can(regex("^[0-9]+r/[sm]$", var.proxy_rate_limits.auth_rate)) && can(regex("^[0-9]+r/[sm]$", var.proxy_rate_limits.generate_rate))
    error_message = "auth_rate and generate_rate use nginx's syntax, e.g. 10r/m or 5r/s."
  }
}

variable "proxy_media_cache" {
  description = "Nginx slice cache of media (/api/ai/proxy) on the proxy VM's disk: bounded by max_size, entries revalidated after `valid` (a revoked link stops being served within that time)."
  type = object({
    enabled  = optional(bool, true)
    max_size = optional(string, "5g")
    inactive = optional(string, "7d")
    valid    = optional(string, "10m")
  })
  default = {}
}

variable "extra_trusted_proxies" {
  description = "CIDRs of reverse proxies in front of the services besides Cloud Run's front end and the proxy VM (e.g. \"203.0.113.7/32\" for an independent VPS running nginx/proxy_install.sh). Their X-Real-IP is believed as the client address for rate limits and login throttling."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.extra_trusted_proxies : can(cidrhost(c, 0))])
    error_message = "Each entry must be a CIDR such as 203.0.113.7/32."
  }
}

variable "vertex_ai_enabled" {
  description = "Grant the services that call Gemini/Veo roles/aiplatform.user and enable the Vertex AI API, for settings' gemini_mode = vertex (no API key; Application Default Credentials)."
  type        = bool
  default     = false
}
