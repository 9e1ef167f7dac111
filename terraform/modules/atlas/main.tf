# MongoDB Atlas for Sora Studio: one project, one replica-set cluster on GCP,
# one database user (readWrite on the app database), and an IP access list
# holding only the given addresses (the Cloud NAT IP of ../egress.tf).
#
# Credentials: MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY in the
# environment of `terraform apply` (an organisation API key with Project
# Creator).

terraform {
  required_providers {
    mongodbatlas = {
      source  = "mongodb/mongodbatlas"
      version = "~> 1.26"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

variable "org_id" {
  description = "Atlas organisation id."
  type        = string

  validation {
    condition     = var.org_id != ""
    error_message = "atlas_org_id is required when atlas_enabled."
  }
}

variable "project_name" {
  description = "Atlas project name."
  type        = string
}

variable "cluster_name" {
  description = "Cluster name."
  type        = string
}

variable "region" {
  description = "Atlas region name (GCP), e.g. CENTRAL_US, WESTERN_EUROPE."
  type        = string
}

variable "instance_size" {
  description = "Cluster tier, e.g. M10."
  type        = string
}

variable "allowed_ips" {
  description = "Addresses allowed to connect (the services' static egress IP)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_ips) > 0 && !contains(var.allowed_ips, "0.0.0.0")
    error_message = "allowed_ips must list the static egress address(es), never 0.0.0.0: set egress_static_ip_enabled = true."
  }
}

variable "database" {
  description = "Database the app uses (readWrite)."
  type        = string
}

resource "mongodbatlas_project" "this" {
  name   = var.project_name
  org_id = var.org_id
}

resource "mongodbatlas_advanced_cluster" "this" {
  project_id     = mongodbatlas_project.this.id
  name           = var.cluster_name
  cluster_type   = "REPLICASET"
  backup_enabled = true

  replication_specs {
    region_configs {
      provider_name = "GCP"
      region_name   = var.region
      priority      = 7

      electable_specs {
        instance_size = var.instance_size
        node_count    = 3
      }
    }
  }
}

resource "random_password" "db_user" {
  length  = 32
  special = false
}

resource "mongodbatlas_database_user" "app" {
  project_id         = mongodbatlas_project.this.id
  auth_database_name = "admin"
  username           = "sora-app"
  password           = random_password.db_user.result

  roles {
    role_name     = "readWrite"
    database_name = var.database
  }

  scopes {
    name = mongodbatlas_advanced_cluster.this.name
    type = "CLUSTER"
  }
}

resource "mongodbatlas_project_ip_access_list" "egress" {
  for_each = toset(var.allowed_ips)

  project_id = mongodbatlas_project.this.id
  ip_address = each.value
  comment    = "Sora Studio Cloud Run egress (Cloud NAT)"
}

output "mongodb_uri" {
  description = "mongodb+srv:// URI with the app user's credentials and database."
  sensitive   = true
  value = format(
    "mongodb+srv://%s:%s@%s/%s?retryWrites=true&w=majority",
    mongodbatlas_database_user.app.username,
    urlencode(random_password.db_user.result),
    trimprefix(mongodbatlas_advanced_cluster.this.connection_strings[0].standard_srv, "mongodb+srv://"),
    var.database,
  )
}
