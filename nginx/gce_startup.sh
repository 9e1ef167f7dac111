#!/usr/bin/env bash
# Startup script of the GCE proxy VM (terraform/proxy_vps.tf), run at every
# boot. Every operator value (domain, e-mail, image...) is read from the
# instance's metadata into a variable and passed as one quoted argument:
# nothing Terraform knows is ever spliced into shell text.
#
# SORA_METADATA_URL and SORA_PROXY_ROOT exist for tests.
set -euo pipefail

md="${SORA_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1/instance/attributes}"
dir="${SORA_PROXY_ROOT:-}/opt/sora-proxy"

attr() { curl -fsS -H "Metadata-Flavor: Google" "$md/$1"; }

install -d -m 0755 "$dir"
attr sora-proxy-install >"$dir/proxy_install.sh"
attr sora-nginx-conf >"$dir/nginx.conf"
attr sora-nginx-pending >"$dir/nginx-pending.conf"
domain=$(attr sora-domain)
email=$(attr sora-acme-email)
image=$(attr sora-nginx-image)
tls=$(attr sora-tls)
log_driver=$(attr sora-log-driver)

args=(--config "$dir/nginx.conf" --image "$image" --log-driver "$log_driver")
if [[ $tls == true ]]; then
  args+=(--tls --domain "$domain" --email "$email" --pending-config "$dir/nginx-pending.conf")
fi
exec bash "$dir/proxy_install.sh" "${args[@]}"
