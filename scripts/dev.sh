#!/usr/bin/env bash
# A development server in one command: installs what is missing, builds,
# writes ./tern.toml (unprivileged ports, data in ./tern-data) if it does not
# exist, creates the demo domain and user the first time (printing the
# password), and runs `tern serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
TERN_BUILD_TARGET=tern scripts/build.sh
tern=./build/tern
config=./tern.toml

if [ ! -f "$config" ]; then
  cat >"$config" <<'TOML'
# tern development configuration (written by scripts/dev.sh)
hostname = "mail.example.test"
data_dir = "./tern-data"

[auth]
allow_plaintext_loopback = false

[[listen]]
protocol = "smtp"
address = "127.0.0.1:2525"

[[listen]]
protocol = "submission"
address = "127.0.0.1:2587"

[[listen]]
protocol = "submissions"
address = "127.0.0.1:2465"

[[listen]]
protocol = "pop3"
address = "127.0.0.1:2110"

[[listen]]
protocol = "pop3s"
address = "127.0.0.1:2995"

[[listen]]
protocol = "imap"
address = "127.0.0.1:2143"

[[listen]]
protocol = "imaps"
address = "127.0.0.1:2993"
TOML
  echo "wrote $config" >&2
fi

if ! "$tern" --config "$config" domain list | grep -qx "example.test"; then
  "$tern" --config "$config" domain add example.test
fi
if ! "$tern" --config "$config" user list | grep -qx "demo@example.test"; then
  password=$(openssl rand -base64 12)
  printf '%s\n' "$password" | "$tern" --config "$config" user add demo@example.test --password-stdin
  printf '%s\n' "$password" > ./tern-data/demo-password
  chmod 600 ./tern-data/demo-password
fi
echo "demo user: demo@example.test  password: $(cat ./tern-data/demo-password)" >&2
echo "SMTP 127.0.0.1:2525, submission (STARTTLS) 127.0.0.1:2587, submissions (TLS) 127.0.0.1:2465," >&2
echo "POP3 (STLS) 127.0.0.1:2110, POP3S 127.0.0.1:2995, IMAP (STARTTLS) 127.0.0.1:2143, IMAPS 127.0.0.1:2993" >&2
exec "$tern" --config "$config" serve
