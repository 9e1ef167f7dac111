# One service account per deployable, each holding only what its handler uses.
# Roles are granted on the resource (secret, bucket, queue, service), not the
# project, wherever the API allows it.

locals {
  # The path -> function table (routes.json), shared with the local router, nginx and the frontend.
  route_table = jsondecode(file("${path.module}/../routes.json"))
  # Every function a route reaches (the web app, the table's default, is separate).
  functions = distinct([for r in local.route_table.routes : r.function])

  # Every service gets these as env vars: the backend's settings object
  # refuses to start in production without MONGODB_URI and a real
  # ADMIN_PASSWORD (common/config.py), whether or not the handler uses them.
  settings_secrets = ["mongodb-uri", "admin-password"]

  # Secrets each handler reads at runtime by name (on top of settings_secrets);
  # roles/secretmanager.secretAccessor on that secret only.
  handler_secrets = {
    web = [] # static files and /config.json
    auth = [
      "jwt-signing-key", # signs and verifies session tokens
    ]
    generate = [
      "jwt-signing-key",   # verifies session tokens
      "media-signing-key", # signs result URLs, checks reference/image URLs
    ]
    chat = [
      "jwt-signing-key",   # verifies session tokens
      "media-signing-key", # checks attachment URLs
      "gemini-api-key",    # the chat model
    ]
    proxy = [
      "media-signing-key", # checks the sig of every media URL; no tokens
    ]
    billing = [
      "jwt-signing-key",       # verifies session tokens
      "stripe-secret-key",     # creates Checkout sessions
      "stripe-webhook-secret", # verifies webhook signatures
    ]
    admin = [
      "jwt-signing-key",   # verifies session tokens (role checked per request)
      "media-signing-key", # media links in the task list
      "stripe-secret-key", # refunds of paid orders
      # Settings show each key's last4 and "test key" calls the provider: both read the value.
      "gemini-api-key",
      "openai-api-key",
      "stripe-webhook-secret",
    ]
    worker = [
      "media-signing-key",      # result URLs
      "worker-secret",          # the settings object refuses a placeholder; local-stack auth header
      "gemini-api-key",         # image (Gemini), video (Veo through the Gemini API)
      "openai-api-key",         # video through the OpenAI-style /v1/videos API
      "c2pa-certificate-chain", # signs C2PA manifests on outputs (when the admin turned it on)
      "c2pa-private-key",
    ]
  }

  secret_reader_bindings = {
    for pair in flatten([
      for fn, secrets in local.handler_secrets : [
        for s in concat(local.settings_secrets, secrets) : { fn = fn, secret = s }
      ]
    ]) : "${pair.fn}/${pair.secret}" => pair
  }

  # Services that put tasks on the generation queue with the tasks-invoker's
  # OIDC identity: generate (new tasks), worker (delayed polls of long
  # provider jobs), admin (manual retry).
  enqueuers = toset(["generate", "worker", "admin"])
}

resource "google_service_account" "fn" {
  for_each = toset(concat(local.functions, ["web"]))

  account_id   = "${var.name_prefix}-${each.value}"
  display_name = "Sora Studio ${each.value} service"
}

# Identity Cloud Tasks and Cloud Scheduler present to the private worker.
resource "google_service_account" "tasks_invoker" {
  account_id   = "${var.name_prefix}-tasks-invoker"
  display_name = "Sora Studio Cloud Tasks / Scheduler invoker of the worker"
}

# --- secrets -----------------------------------------------------------------

resource "google_secret_manager_secret_iam_member" "reader" {
  for_each = local.secret_reader_bindings

  secret_id = google_secret_manager_secret.s[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.value.fn].member
}

# Functions that verify media signatures list the two newest versions of the
# signing key (old links stay valid through a rotation): versions.list is in
# roles/secretmanager.viewer, not in secretAccessor.
resource "google_secret_manager_secret_iam_member" "media_key_lister" {
  for_each = toset([for fn, secrets in local.handler_secrets : fn if contains(secrets, "media-signing-key")])

  secret_id = google_secret_manager_secret.s["media-signing-key"].id
  role      = "roles/secretmanager.viewer"
  member    = google_service_account.fn[each.value].member
}

# admin: writes new versions of provider and payment keys (settings page).
# The panel never returns a key, but shows its last4 (accessor: handler_secrets).
resource "google_secret_manager_secret_iam_member" "admin_version_adder" {
  for_each = local.admin_managed

  secret_id = google_secret_manager_secret.s[each.value].id
  role      = "roles/secretmanager.secretVersionAdder"
  member    = google_service_account.fn["admin"].member
}

# admin: lists versions and their create times ("set", "updated_at") without
# reading the payload.
resource "google_secret_manager_secret_iam_member" "admin_viewer" {
  for_each = local.admin_managed

  secret_id = google_secret_manager_secret.s[each.value].id
  role      = "roles/secretmanager.viewer"
  member    = google_service_account.fn["admin"].member
}

# --- media bucket ------------------------------------------------------------

# worker: writes generated media and thumbnails, cleans tmp/.
resource "google_storage_bucket_iam_member" "worker_object_admin" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.fn["worker"].member
}

# generate: stores uploads/ and deletes a task's media on DELETE /api/ai/tasks/{id}.
resource "google_storage_bucket_iam_member" "generate_object_user" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectUser"
  member = google_service_account.fn["generate"].member
}

# proxy: ranged reads only.
resource "google_storage_bucket_iam_member" "proxy_object_viewer" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.fn["proxy"].member
}

# chat: reads image attachments to send them to the model.
resource "google_storage_bucket_iam_member" "chat_object_viewer" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.fn["chat"].member
}

# --- queue -------------------------------------------------------------------

# generate / worker / admin: create tasks on the generation queue.
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.enqueuers

  name     = google_cloud_tasks_queue.generation.name
  location = google_cloud_tasks_queue.generation.location
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.fn[each.value].member
}

# generate / worker / admin: attach the tasks-invoker's OIDC identity to the
# tasks they create (Cloud Tasks requires actAs on that account).
resource "google_service_account_iam_member" "enqueuer_acts_as_invoker" {
  for_each = local.enqueuers

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.fn[each.value].member
}

# tasks-invoker: may call the worker, and nothing else. The worker has no
# public invoker.
resource "google_cloud_run_v2_service_iam_member" "tasks_invoke_worker" {
  name     = google_cloud_run_v2_service.fn["worker"].name
  location = google_cloud_run_v2_service.fn["worker"].location
  role     = "roles/run.invoker"
  member   = google_service_account.tasks_invoker.member
}

# --- Cloud Build deployer ------------------------------------------------------

# Identity of the Cloud Build trigger: pushes images and rolls out revisions.
resource "google_service_account" "deployer" {
  account_id   = "${var.name_prefix}-deployer"
  display_name = "Sora Studio Cloud Build deployer"
}

# deployer: gcloud run deploy on the services (project level: the service
# list is per-project and a new service is created on first deploy).
resource "google_project_iam_member" "deployer_run_developer" {
  project = var.project_id
  role    = "roles/run.developer"
  member  = google_service_account.deployer.member
}

# deployer: writes build logs.
resource "google_project_iam_member" "deployer_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.deployer.member
}

# deployer: pushes the image.
resource "google_artifact_registry_repository_iam_member" "deployer_writer" {
  repository = google_artifact_registry_repository.images.name
  location   = google_artifact_registry_repository.images.location
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deployer.member
}

# deployer: deploys revisions running as each runtime account (actAs).
resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  for_each = google_service_account.fn

  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

# --- Vertex AI (optional) ----------------------------------------------------

# With vertex_ai_enabled (settings: gemini_mode = vertex) Gemini and Veo are
# called with each service's own credentials instead of an API key: the
# services that call a model need roles/aiplatform.user. worker: image and
# video generation; chat: replies; generate: the prompt enhancer; admin: the
# model list and the key test.
resource "google_project_iam_member" "vertex_user" {
  for_each = var.vertex_ai_enabled ? toset(["worker", "chat", "generate", "admin"]) : toset([])

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = google_service_account.fn[each.value].member
}
