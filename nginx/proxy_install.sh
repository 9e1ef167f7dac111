#!/usr/bin/env bash
# Install or update the Sora Studio reverse proxy on a Debian/Ubuntu VPS.
#
# Idempotent: run it again with a new config and it converges (the nginx
# container is recreated only when the config, the image or the log driver
# changed). Any host works: the GCE VM runs it from its startup script,
# another VPS over SSH (docs/deploy.md, "Any other VPS").
#
#   sudo ./proxy_install.sh --config nginx.conf [--image nginx:1.28.0] \
#        [--tls --domain D --email E --pending-config nginx-pending.conf] \
#        [--log-driver json-file|gcplogs] [--pull]
#   sudo ./proxy_install.sh --resume     # the last run's arguments again
#
# --config          the rendered nginx.conf (nginx/render.py or Terraform)
# --tls             obtain and renew a Let's Encrypt certificate for --domain
#                   (webroot challenge; DNS must point at this host)
# --pending-config  the template rendered with cert_pending=true: the ACME
#                   challenge and a 503 page on :80, served until the
#                   certificate exists. A failed issuance is retried every
#                   5 minutes by sora-cert-retry.timer (--resume).
# --log-driver      Docker log driver of the container (gcplogs: Cloud
#                   Logging, on GCE or with GOOGLE_APPLICATION_CREDENTIALS)
#
# SORA_PROXY_ROOT (tests only) prefixes every path this script writes.
set -euo pipefail

readonly ROOT="${SORA_PROXY_ROOT:-}"
readonly CONF_DIR="$ROOT/etc/sora-nginx"
readonly ACME_WEBROOT="$ROOT/var/www/acme"
readonly LETSENCRYPT="$ROOT/etc/letsencrypt"
readonly CACHE_DIR="$ROOT/var/cache/sora-media"
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
readonly SYSTEMD_DIR="$ROOT/etc/systemd/system"
readonly INSTALLED_SCRIPT="$ROOT/usr/local/sbin/sora-proxy-install"
readonly SAVED_ARGS="$CONF_DIR/install.args"
readonly RENEW_HOOK="$LETSENCRYPT/renewal-hooks/deploy/sora-nginx-reload"

config=""
pending_config=""
domain=""
email=""
tls=false
pull=false
image="nginx:1.28.0"
name="sora-nginx"
log_driver="json-file"

log() { printf '[proxy_install] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --config) config="${2:?--config needs a file}"; shift 2 ;;
      --pending-config | --http-config) pending_config="${2:?$1 needs a file}"; shift 2 ;;
      --domain) domain="${2:?--domain needs a name}"; shift 2 ;;
      --email) email="${2:?--email needs an address}"; shift 2 ;;
      --image) image="${2:?--image needs an image}"; shift 2 ;;
      --name) name="${2:?--name needs a container name}"; shift 2 ;;
      --log-driver) log_driver="${2:?--log-driver needs a driver}"; shift 2 ;;
      --tls) tls=true; shift ;;
      --pull) pull=true; shift ;;
      -h | --help) usage 0 ;;
      *) log "unknown argument: $1"; usage 2 ;;
    esac
  done
}

if [[ ${1:-} == --resume ]]; then
  [[ -r $SAVED_ARGS ]] || die "--resume: no saved arguments in $SAVED_ARGS"
  saved=()
  # shellcheck source=/dev/null
  source "$SAVED_ARGS" # declare -a saved=(...), written by this script
  parse_args "${saved[@]}"
else
  parse_args "$@"
fi

[[ $EUID -eq 0 || -n $ROOT ]] || die "run as root"
[[ -n $config && -r $config ]] || die "--config must name a readable file"
case "$log_driver" in
  json-file | gcplogs | journald | local) ;;
  *) die "--log-driver must be json-file, gcplogs, journald or local" ;;
esac
if [[ $tls == true ]]; then
  [[ -n $domain ]] || die "--tls needs --domain"
  [[ -n $email ]] || die "--tls needs --email (Let's Encrypt account)"
  [[ -n $pending_config && -r $pending_config ]] || die "--tls needs --pending-config"
fi

install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Keeps this run's inputs where the retry timer finds them: copies of the
# configs and the arguments as a bash array (declare -p quotes every value).
save_inputs() {
  install -d -m 0755 "$CONF_DIR" "$(dirname "$INSTALLED_SCRIPT")"
  local final="$CONF_DIR/nginx-final.conf" pending="$CONF_DIR/nginx-pending.conf"
  [[ $config -ef $final ]] || install -m 0644 "$config" "$final"
  config=$final
  if [[ -n $pending_config ]]; then
    [[ $pending_config -ef $pending ]] || install -m 0644 "$pending_config" "$pending"
    pending_config=$pending
  fi
  [[ $0 -ef $INSTALLED_SCRIPT ]] || install -m 0755 "$0" "$INSTALLED_SCRIPT"
  local saved=(--config "$config" --image "$image" --name "$name" --log-driver "$log_driver")
  if [[ $tls == true ]]; then
    saved+=(--tls --domain "$domain" --email "$email" --pending-config "$pending_config")
  fi
  declare -p saved >"$SAVED_ARGS.tmp"
  mv "$SAVED_ARGS.tmp" "$SAVED_ARGS"
}

mounts() {
  printf '%s\n' \
    -v "$LETSENCRYPT:/etc/letsencrypt:ro" \
    -v "$ACME_WEBROOT:/var/www/acme:ro" \
    -v "$CACHE_DIR:/var/cache/nginx/sora-media" \
    -v "$CA_BUNDLE:$CA_BUNDLE:ro"
}

# Validates a config inside the image it will run in, with the same mounts.
nginx_check() {
  local file=$1 extra
  mapfile -t extra < <(mounts)
  docker run --rm --network host -v "$file:/etc/nginx/nginx.conf:ro" "${extra[@]}" \
    "$image" nginx -t -q
}

# Runs nginx with $1 as its config unless it already does.
run_nginx() {
  local source=$1 target="$CONF_DIR/nginx.conf" sha current extra
  sha=$(sha256sum "$source" | cut -d' ' -f1)
  current=$(docker inspect -f '{{ index .Config.Labels "sora.config-sha" }}|{{ .Config.Image }}|{{ .HostConfig.LogConfig.Type }}|{{ .State.Running }}' "$name" 2>/dev/null || true)
  if [[ $current == "$sha|$image|$log_driver|true" ]]; then
    log "nginx already runs this config ($sha)"
    return 0
  fi
  nginx_check "$source" || die "nginx -t rejected $source; the running proxy is unchanged"
  install -m 0644 "$source" "$target"
  mapfile -t extra < <(mounts)
  local logging=(--log-driver "$log_driver")
  if [[ $log_driver == json-file || $log_driver == local ]]; then
    logging+=(--log-opt max-size=50m --log-opt max-file=3)
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --restart=always --network host \
    --label "sora.config-sha=$sha" "${logging[@]}" \
    -v "$target:/etc/nginx/nginx.conf:ro" "${extra[@]}" \
    "$image" >/dev/null
  log "nginx ($image) started with config $sha"
}

# Renewals (Debian's certbot.timer) reload nginx through this hook.
install_renew_hook() {
  install -d -m 0755 "$(dirname "$RENEW_HOOK")"
  printf '#!/bin/sh\n# Installed by proxy_install.sh: a renewed certificate reaches nginx.\nexec docker exec %s nginx -s reload\n' \
    "$name" >"$RENEW_HOOK.tmp"
  chmod 0755 "$RENEW_HOOK.tmp"
  mv "$RENEW_HOOK.tmp" "$RENEW_HOOK"
}

# Retries issuance every 5 minutes until it succeeds (then it disables itself).
enable_retry_timer() {
  install -d -m 0755 "$SYSTEMD_DIR"
  cat >"$SYSTEMD_DIR/sora-cert-retry.service" <<EOF
[Unit]
Description=Retry the Let's Encrypt certificate of the Sora Studio proxy

[Service]
Type=oneshot
ExecStart=$INSTALLED_SCRIPT --resume
EOF
  cat >"$SYSTEMD_DIR/sora-cert-retry.timer" <<'EOF'
[Unit]
Description=Retry the Sora Studio proxy certificate every 5 minutes

[Timer]
OnActiveSec=5min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now sora-cert-retry.timer >/dev/null
}

disable_retry_timer() {
  if [[ -e $SYSTEMD_DIR/sora-cert-retry.timer ]]; then
    systemctl disable --now sora-cert-retry.timer >/dev/null 2>&1 || true
    rm -f "$SYSTEMD_DIR/sora-cert-retry.timer" "$SYSTEMD_DIR/sora-cert-retry.service"
    systemctl daemon-reload
  fi
}

wait_healthy() {
  local _
  for _ in $(seq 1 30); do
    if curl -fsS -o /dev/null http://127.0.0.1/nginx-health; then
      log "proxy healthy"
      return 0
    fi
    sleep 1
  done
  die "nginx did not answer /nginx-health; see: docker logs $name"
}

packages=(ca-certificates curl docker.io)
[[ $tls == true ]] && packages+=(certbot)
install_packages "${packages[@]}"
systemctl enable --now docker >/dev/null

install -d -m 0755 "$CONF_DIR" "$ACME_WEBROOT" "$LETSENCRYPT" "$CACHE_DIR"
save_inputs

if [[ $pull == true ]] || ! docker image inspect "$image" >/dev/null 2>&1; then
  docker pull -q "$image" >/dev/null
fi

if [[ $tls == true ]]; then
  install_renew_hook
  if [[ ! -s $LETSENCRYPT/live/$domain/fullchain.pem ]]; then
    log "no certificate for $domain yet: serving the ACME challenge and a 503 page"
    run_nginx "$pending_config"
    if ! certbot certonly --non-interactive --agree-tos --email "$email" \
      --webroot -w "$ACME_WEBROOT" -d "$domain" --keep-until-expiring; then
      enable_retry_timer
      log "certbot failed: check that $domain resolves to this host; retrying every 5 minutes (sora-cert-retry.timer)"
      wait_healthy
      exit 0
    fi
  fi
  disable_retry_timer
fi

run_nginx "$config"
wait_healthy
