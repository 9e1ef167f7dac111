#!/usr/bin/env bash
# Install or update the Sora Studio reverse proxy on a Debian VPS.
#
# Idempotent: run it again with a new config and it converges (the nginx
# container is recreated only when the config or the image changed).
#
#   sudo ./proxy_install.sh --config nginx.conf [--tls --domain D --email E \
#        --http-config nginx-http.conf] [--image nginx:stable] [--pull]
#
# --config       the rendered nginx.conf (nginx/render.py or Terraform)
# --tls          obtain/renew a Let's Encrypt certificate for --domain
#                (webroot challenge; DNS must already point at this host)
# --http-config  the same template rendered with tls_enabled=false: served
#                while the certificate does not exist yet
set -euo pipefail

readonly CONF_DIR=/etc/sora-nginx
readonly ACME_WEBROOT=/var/www/acme
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

config=""
http_config=""
domain=""
email=""
tls=false
pull=false
image="nginx:stable"
name="sora-nginx"

log() { printf '[proxy_install] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while (($# > 0)); do
  case "$1" in
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --http-config) http_config="${2:?--http-config needs a file}"; shift 2 ;;
    --domain) domain="${2:?--domain needs a name}"; shift 2 ;;
    --email) email="${2:?--email needs an address}"; shift 2 ;;
    --image) image="${2:?--image needs an image}"; shift 2 ;;
    --name) name="${2:?--name needs a container name}"; shift 2 ;;
    --tls) tls=true; shift ;;
    --pull) pull=true; shift ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage 2 ;;
  esac
done

[[ $EUID -eq 0 ]] || die "run as root"
[[ -n $config && -r $config ]] || die "--config must name a readable file"
if [[ $tls == true ]]; then
  [[ -n $domain ]] || die "--tls needs --domain"
  [[ -n $email ]] || die "--tls needs --email (Let's Encrypt account)"
  [[ -n $http_config && -r $http_config ]] || die "--tls needs --http-config"
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

# Validates a config inside the image it will run in, with the same mounts.
nginx_check() {
  local file=$1
  docker run --rm --network host \
    -v "$file:/etc/nginx/nginx.conf:ro" \
    -v /etc/letsencrypt:/etc/letsencrypt:ro \
    -v "$ACME_WEBROOT:$ACME_WEBROOT:ro" \
    -v "$CA_BUNDLE:$CA_BUNDLE:ro" \
    "$image" nginx -t -q
}

# Runs nginx with $1 as its config unless it already does.
run_nginx() {
  local source=$1 target="$CONF_DIR/nginx.conf" sha current
  sha=$(sha256sum "$source" | cut -d' ' -f1)
  current=$(docker inspect -f '{{ index .Config.Labels "sora.config-sha" }}|{{ .Config.Image }}|{{ .State.Running }}' "$name" 2>/dev/null || true)
  if [[ $current == "$sha|$image|true" ]]; then
    log "nginx already runs this config ($sha)"
    return 0
  fi
  nginx_check "$source" || die "nginx -t rejected $source; the running proxy is unchanged"
  install -m 0644 "$source" "$target"
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --restart=always --network host \
    --label "sora.config-sha=$sha" \
    --log-opt max-size=50m --log-opt max-file=3 \
    -v "$target:/etc/nginx/nginx.conf:ro" \
    -v /etc/letsencrypt:/etc/letsencrypt:ro \
    -v "$ACME_WEBROOT:$ACME_WEBROOT:ro" \
    -v "$CA_BUNDLE:$CA_BUNDLE:ro" \
    "$image" >/dev/null
  log "nginx ($image) started with config $sha"
}

packages=(ca-certificates curl docker.io)
[[ $tls == true ]] && packages+=(certbot)
install_packages "${packages[@]}"
systemctl enable --now docker >/dev/null

install -d -m 0755 "$CONF_DIR" "$ACME_WEBROOT" /etc/letsencrypt

if [[ $pull == true ]] || ! docker image inspect "$image" >/dev/null 2>&1; then
  docker pull -q "$image" >/dev/null
fi

if [[ $tls == true && ! -s /etc/letsencrypt/live/$domain/fullchain.pem ]]; then
  log "no certificate for $domain yet: serving HTTP for the ACME challenge"
  run_nginx "$http_config"
  # Renewals (certbot.timer) reuse the webroot and the reload hook.
  if ! certbot certonly --non-interactive --agree-tos --email "$email" \
    --webroot -w "$ACME_WEBROOT" -d "$domain" \
    --deploy-hook "docker exec $name nginx -s reload"; then
    die "certbot failed: check that $domain resolves to this host, then run this script again (HTTP stays up meanwhile)"
  fi
fi

run_nginx "$config"

for _ in $(seq 1 30); do
  if curl -fsS -o /dev/null http://127.0.0.1/nginx-health; then
    log "proxy healthy"
    exit 0
  fi
  sleep 1
done
die "nginx did not answer /nginx-health; see: docker logs $name"
