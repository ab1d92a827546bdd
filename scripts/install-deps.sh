#!/usr/bin/env bash
# Installs what building and testing tern needs from Debian 12's packages.
# Idempotent: installs only what is missing. Uses sudo when not root.
#
# --check: after installing, proves that each tool works as the tests use
# it (swaks with TLS, Postfix, dnsmasq, fetchmail, mbsync, getmail, mutt,
# tmux, Node with imapflow, clang with libFuzzer and the sanitizers), and
# fails naming the first that does not. scripts/test.sh runs it, so a missing
# run-time dependency fails the suite at once, not one test an hour later.
set -euo pipefail
check=0
[ "${1:-}" = "--check" ] && check=1

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libasio-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libargon2-dev libcrypt-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  clang libclang-rt-14-dev
  libunbound-dev libevent-dev
  python3 openssl sqlite3 swaks libnet-ssleay-perl libio-socket-ssl-perl postfix dnsmasq-base fetchmail getmail6
  isync mutt tmux
  python3-dkim python3-nacl python3-spf python3-yaml
  libpsl-dev publicsuffix
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

# Each tool as the tests run it; prints what failed.
check_tools() {
  local failed=0 scratch
  scratch=$(mktemp -d)
  probe() {
    local what=$1
    shift
    if ! "$@" >"$scratch/out" 2>&1; then
      echo "install-deps --check: $what does not work: $*" >&2
      sed 's/^/  /' "$scratch/out" >&2
      failed=1
    fi
  }
  # swaks says "=== TLS supported" only when Net::SSLeay and IO::Socket::SSL load.
  probe "swaks with TLS" bash -c 'swaks --support 2>&1 | grep -q "^=== TLS supported"'
  probe "Postfix" /usr/sbin/postconf -d mail_version
  probe "Postfix's master" test -x /usr/lib/postfix/sbin/master
  probe "dnsmasq" dnsmasq --version
  probe "fetchmail" bash -c 'fetchmail --version </dev/null'
  probe "mbsync" mbsync --version
  probe "getmail" getmail --version
  probe "mutt" mutt -v
  probe "tmux" tmux -V
  probe "openssl" openssl version
  probe "sqlite3" sqlite3 -version
  probe "python3 with ssl" python3 -c 'import ssl, imaplib, poplib, smtplib'
  # dkimpy (with PyNaCl for Ed25519) is the DKIM oracle; Debian's Python, as tests/interop/CMakeLists.txt picks it.
  probe "dkimpy with Ed25519" /usr/bin/python3 -c 'import dkim, nacl.signing'
  # pyspf's package ships the RFC 7208 test suite that tests/tools/spf_suite.py runs.
  probe "the RFC 7208 SPF test suite" /usr/bin/python3 -c \
    'import yaml, gzip; yaml.safe_load_all(gzip.open("/usr/share/doc/python3-spf/rfc7208-tests.yml.gz")).__next__()'
  if command -v node >/dev/null; then
    probe "node with imapflow" bash -c "cd '$node_dir' && node -e \"require('imapflow')\""
  else
    echo "install-deps --check: no node: tests/interop/test_imap_clients.py needs Node.js 20 with npm" >&2
    failed=1
  fi
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
    >"$scratch/fuzz.cpp"
  probe "clang with libFuzzer and ASan" clang++ -fsanitize=fuzzer,address,undefined "$scratch/fuzz.cpp" \
    -o "$scratch/fuzz"
  rm -rf "$scratch"
  return $failed
}

if [ ${#missing[@]} -eq 0 ]; then
  [ $check -eq 1 ] && check_tools
  exit 0
fi

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
[ $check -eq 1 ] && check_tools
exit 0
