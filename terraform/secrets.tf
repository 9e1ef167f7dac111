locals {
  # Generated here; rotate by adding a version (functions re-read within seconds).
  generated_secrets = toset(["jwt-signing-key", "media-signing-key", "worker-secret"])

  # Created empty: the admin panel (or gcloud) adds versions.
  ai_key_secrets      = toset(["gemini-api-key", "openai-api-key"])
  payment_key_secrets = toset(["stripe-secret-key", "stripe-webhook-secret"])
  # C2PA provenance (common/provenance.py): the PEM signing certificate chain and its private key.
  provenance_key_secrets = toset(["c2pa-certificate-chain", "c2pa-private-key"])
  admin_managed          = setunion(local.ai_key_secrets, local.payment_key_secrets, local.provenance_key_secrets)

  all_secrets = setunion(local.generated_secrets, local.admin_managed, toset(["mongodb-uri", "admin-password"]))

  # Secret Manager ids are per stack: "<name_prefix>-<logical name>". The
  # services get the prefix as SECRET_ID_PREFIX (common/secrets.py keeps the
  # logical names; the local stack uses them unprefixed).
  secret_id_prefix = "${var.name_prefix}-"
}

resource "google_secret_manager_secret" "s" {
  for_each = local.all_secrets

  secret_id = "${local.secret_id_prefix}${each.value}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "random_password" "generated" {
  for_each = local.generated_secrets

  length  = 64
  special = false
}

resource "google_secret_manager_secret_version" "generated" {
  for_each = local.generated_secrets

  secret      = google_secret_manager_secret.s[each.value].id
  secret_data = random_password.generated[each.value].result

  # Rotations add versions outside Terraform; never roll them back.
  lifecycle {
    ignore_changes = [secret_data, enabled]
  }
}

# The first administrator's password; read it once with
#   gcloud secrets versions access latest --secret <name_prefix>-admin-password
resource "random_password" "admin" {
  length  = 24
  special = false
}

resource "google_secret_manager_secret_version" "admin_password" {
  secret      = google_secret_manager_secret.s["admin-password"].id
  secret_data = random_password.admin.result

  lifecycle {
    ignore_changes = [secret_data, enabled]
  }
}

# Only when the URI is given to Terraform (or made by modules/atlas);
# otherwise add it with
#   gcloud secrets versions add <name_prefix>-mongodb-uri --data-file=-
resource "google_secret_manager_secret_version" "mongodb_uri" {
  count = var.mongodb_uri != "" || var.atlas_enabled ? 1 : 0

  secret      = google_secret_manager_secret.s["mongodb-uri"].id
  secret_data = var.atlas_enabled ? module.atlas[0].mongodb_uri : var.mongodb_uri
}
