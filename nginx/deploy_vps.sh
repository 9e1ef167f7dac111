#!/usr/bin/env bash
# Install or update the Sora Studio proxy on any VPS (Debian/Ubuntu) over SSH.
#
#   nginx/deploy_vps.sh [--ssh-option OPT]... user@host -- <proxy_install.sh arguments>
#
# Copies proxy_install.sh and every file named by --config/--pending-config to
# /opt/sora-proxy on the host, then runs the installer there with sudo. Each
# argument reaches the remote installer unchanged (quoted with printf %q, so
# an e-mail like o'brien@example.com is one argument). Idempotent like the
# installer: run it again after every config change.
#
#   terraform -chdir=terraform output -raw nginx_conf > nginx.conf
#   terraform -chdir=terraform output -raw nginx_conf_pending > nginx-pending.conf
#   nginx/deploy_vps.sh root@203.0.113.7 -- --config nginx.conf \
#     --pending-config nginx-pending.conf --tls --domain studio.example.com \
#     --email admin@example.com
#
# SORA_REMOTE_DIR overrides /opt/sora-proxy (tests).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
remote_dir="${SORA_REMOTE_DIR:-/opt/sora-proxy}"
ssh_opts=()

while (($# > 0)); do
  case "$1" in
    --ssh-option) ssh_opts+=(-o "${2:?--ssh-option needs a value}"); shift 2 ;;
    --) shift; break ;;
    -*) echo "deploy_vps: unknown option $1" >&2; exit 2 ;;
    *)
      [[ -z ${target:-} ]] || { echo "deploy_vps: one host only" >&2; exit 2; }
      target=$1; shift ;;
  esac
done
[[ -n ${target:-} ]] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

files=("$here/proxy_install.sh")
remote_args=()
while (($# > 0)); do
  case "$1" in
    --config | --pending-config | --http-config)
      file="${2:?$1 needs a file}"
      [[ -r $file ]] || { echo "deploy_vps: cannot read $file" >&2; exit 1; }
      files+=("$file")
      remote_args+=("$1" "$remote_dir/$(basename "$file")")
      shift 2 ;;
    *) remote_args+=("$1"); shift ;;
  esac
done

# shellcheck disable=SC2029 # the command is built here on purpose, quoted with %q
ssh "${ssh_opts[@]}" "$target" "sudo install -d -m 0755 $(printf '%q' "$remote_dir")"
scp -q "${ssh_opts[@]}" "${files[@]}" "$target:$remote_dir/"
# shellcheck disable=SC2029
ssh "${ssh_opts[@]}" "$target" "sudo bash $(printf '%q' "$remote_dir/proxy_install.sh") $(printf '%q ' "${remote_args[@]}")"
