#!/usr/bin/env bash
# Installs what building and testing tern needs from Debian 12's packages.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libasio-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libargon2-dev libcrypt-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  clang libclang-rt-14-dev
  libunbound-dev libevent-dev
  python3 openssl sqlite3 swaks libnet-ssleay-perl libio-socket-ssl-perl postfix dnsmasq-base fetchmail getmail6
  isync mutt tmux
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# imapflow for tests/interop/test_imap_clients.py, from the npm registry, pinned by
# tests/interop/node/package-lock.json; it needs Node.js 20 or later (Debian 12's
# nodejs package is 18, so the machine's own Node is used when it has one).
node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/interop/node"
if command -v npm >/dev/null && { [ ! -d "$node_dir/node_modules/imapflow" ] ||
     [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; }; then
  (cd "$node_dir" && npm ci --no-audit --no-fund)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || $sudo apt-get update -q
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  # The interop tests run their own private Postfix instances; the system one stays
  # unconfigured (no /etc/postfix/main.cf), so it neither prompts nor starts.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
