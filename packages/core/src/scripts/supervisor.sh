# shellcheck shell=sh
# supervisor.sh: the read-only routines the probe and the supervisor actions share to look at what runs
# PostgreSQL: a bounded HTTP GET for Patroni's REST API (curl, wget or python3, whichever the host has) and a
# bounded `systemctl show`. Sent after lib.sh (see lib.sh for the rules every file here follows); only defines
# functions. Everything here is read-only: GET requests, `systemctl show`, `sudo -n -l` (which lists, never runs).
#
# Parameters (set by the prelude): PGR_SV_TIMEOUT, the limit in seconds around each systemctl, sudo and HTTP call.

# pgr_sv_bounded COMMAND...: bounded by coreutils' timeout where it exists.
pgr_sv_bounded() {
  if pgr_have timeout; then timeout "$PGR_SV_TIMEOUT" "$@"; else "$@"; fi
}

# pgr_sv_clean: one line per input line, control characters as `?` (for key=value lines from host data).
pgr_sv_clean() { tr -d '\000' | awk '{ gsub(/[^ -~]/, "?"); print }'; }

# pgr_http_client: sets pgr_http to the first of curl, wget, python3 the host has (empty: none).
pgr_http_client() {
  pgr_http=
  if pgr_have curl; then
    pgr_http=curl
  elif pgr_have wget; then
    pgr_http=wget
  elif pgr_have python3; then
    pgr_http=python3
  fi
  [ -n "$pgr_http" ]
}

# pgr_http_get URL: a GET of at most 64 KiB, the body on stdout; non-zero when it failed (the error's last line says
# why). Certificates are not checked (a loopback status read; nothing is sent but the request).
pgr_http_get() {
  case $pgr_http in
    "curl") pgr_sv_bounded curl -sS -k -m "$PGR_SV_TIMEOUT" "$1" ;;
    "wget") pgr_sv_bounded wget -q -O - --no-check-certificate -T "$PGR_SV_TIMEOUT" "$1" ;;
    "python3")
      pgr_sv_bounded python3 -I -S -c 'import sys, ssl, urllib.request as u; sys.tracebacklimit = 0; c = ssl._create_unverified_context(); sys.stdout.write(u.urlopen(sys.argv[1], timeout=float(sys.argv[2]), context=c).read(65536).decode("utf-8", "replace"))' "$1" "$PGR_SV_TIMEOUT"
      ;;
    *) return 127 ;;
  esac
}

# pgr_unit_show UNIT PROPERTY...: `systemctl show` of those properties of one unit, bounded.
pgr_unit_show() {
  pgr_u_unit=$1
  shift
  pgr_u_props=
  for pgr_u_p in "$@"; do pgr_u_props="$pgr_u_props -p $pgr_u_p"; done
  # shellcheck disable=SC2086 # the property words are fixed names, split on purpose
  pgr_sv_bounded systemctl show $pgr_u_props -- "$pgr_u_unit" 2>&1
}
