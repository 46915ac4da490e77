# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034 # pgr_phase, pgr_state, pgr_http, pgr_pid, pgr_port, pgr_host come from action.sh, supervisor.sh, lib.sh; pgr_unverified is read by action.sh
# action-supervisor.sh: what an action script needs to work through a supervisor. Sent after lib.sh and
# supervisor.sh and before action.sh, only in scripts whose plan touches a systemd unit or Patroni; only defines
# functions. Like action.sh's checks, everything here only reads: `systemctl show`, `sudo -n -l`, GET requests to
# Patroni's REST API, pg_isready. The commands that change something (systemctl stop/start/reset-failed,
# mask/unmask --runtime, patronictl pause/resume) are literal pgr_do lines of the plan.
#
# Parameters: PGR_SV_TIMEOUT (supervisor.sh); the rest as action.sh.

# pgr_sv_value TEXT KEY: the value of KEY=value in `systemctl show` output.
pgr_sv_value() {
  printf '%s\n' "$1" | awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }'
}

# pgr_check_unit UNIT MAINPID STATE...: the unit as planned: MainPID (- for any) and ActiveState one of STATE.
pgr_check_unit() {
  pgr_k_unit=$1
  pgr_k_pid=$2
  shift 2
  pgr_k_at="object=unit unit=$(pgr_enc "$pgr_k_unit")"
  pgr_k_out=$(pgr_unit_show "$pgr_k_unit" ActiveState MainPID)
  pgr_k_state=$(pgr_sv_value "$pgr_k_out" ActiveState)
  pgr_k_main=$(pgr_sv_value "$pgr_k_out" MainPID)
  if [ -z "$pgr_k_state" ]; then
    pgr_refuse "$pgr_k_at reason=unit-unreadable" "systemctl show $pgr_k_unit gave no state: $(pgr_enc "$pgr_k_out")"
    return 1
  fi
  pgr_k_ok=1
  if [ "$pgr_k_pid" != - ] && [ "$pgr_k_main" != "$pgr_k_pid" ]; then
    pgr_refuse "$pgr_k_at reason=unit-changed field=MainPID expected=$pgr_k_pid found=$(pgr_enc "$pgr_k_main")" "$pgr_k_unit now has MainPID $(pgr_enc "$pgr_k_main"), not $pgr_k_pid"
    pgr_k_ok=
  fi
  case " $* " in
    *" $pgr_k_state "*) ;;
    *)
      pgr_refuse "$pgr_k_at reason=unit-changed field=ActiveState expected=$(pgr_enc "$*") found=$(pgr_enc "$pgr_k_state")" "$pgr_k_unit is $(pgr_enc "$pgr_k_state") now, not $*"
      pgr_k_ok=
      ;;
  esac
  [ -n "$pgr_k_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_k_at state=$(pgr_enc "$pgr_k_state") mainpid=$(pgr_enc "$pgr_k_main") result=ok"; fi
  return 0
}

# pgr_check_sudo COMMAND...: sudo -n -l allows this login exactly that command (it lists, it does not run it).
pgr_check_sudo() {
  if pgr_sv_bounded sudo -n -l "$@" >/dev/null 2>&1; then
    if [ "$pgr_phase" = verify ]; then pgr_emit "check object=sudo command=$(pgr_enc "$*") result=ok"; fi
    return 0
  fi
  pgr_unable "reason=sudo-denied command=$(pgr_enc "$*")" "sudo -n does not allow this login to run $*: someone with root has to"
  return 1
}

# pgr_check_readable PATH: a file this login can read (Patroni's configuration, for patronictl).
pgr_check_readable() {
  if [ -f "$1" ] && [ -r "$1" ]; then return 0; fi
  pgr_unable "reason=unreadable path=$(pgr_enc "$1")" "$(pgr_enc "$1") is not readable by this login"
  return 1
}

# pgr_patroni_get URL: GET /patroni; sets pgr_pt_state, pgr_pt_role and pgr_pt_paused (1 or 0); non-zero without an answer.
pgr_patroni_get() {
  pgr_pt_state=
  pgr_pt_role=
  pgr_pt_paused=0
  pgr_http_client || return 1
  pgr_pt_body=$(pgr_http_get "$1/patroni" 2>/dev/null) || return 1
  pgr_pt_state=$(printf '%s\n' "$pgr_pt_body" | awk 'match($0, /"state": *"[^"]*"/) { v = substr($0, RSTART, RLENGTH); sub(/^"state": *"/, "", v); sub(/"$/, "", v); print v; exit }')
  pgr_pt_role=$(printf '%s\n' "$pgr_pt_body" | awk 'match($0, /"role": *"[^"]*"/) { v = substr($0, RSTART, RLENGTH); sub(/^"role": *"/, "", v); sub(/"$/, "", v); print v; exit }')
  if printf '%s\n' "$pgr_pt_body" | grep -q '"pause": *true'; then pgr_pt_paused=1; fi
  [ -n "$pgr_pt_state" ]
}

# pgr_check_patroni URL PID TICKS PAUSED: the Patroni process of the diagnosis, and paused (1) or not (0) as planned.
pgr_check_patroni() {
  pgr_pt_at="object=patroni pid=$2"
  if ! pgr_alive "$2" "$3"; then
    pgr_refuse "$pgr_pt_at reason=patroni-gone expected=$3" "Patroni (PID $2) is no longer the process of the diagnosis"
    return 1
  fi
  if ! pgr_http_client; then
    pgr_unable "reason=tool-missing tool=curl" "no HTTP client is installed (curl, Wget or Python 3): Patroni's REST API cannot be read"
    return 1
  fi
  if ! pgr_patroni_get "$1"; then
    pgr_refuse "$pgr_pt_at reason=patroni-unreachable url=$(pgr_enc "$1")" "Patroni's REST API ($(pgr_enc "$1")) does not answer: its pause state is unknown"
    return 1
  fi
  if [ "$pgr_pt_paused" != "$4" ]; then
    pgr_refuse "$pgr_pt_at reason=patroni-pause-changed expected=$4 found=$pgr_pt_paused" "Patroni's maintenance mode changed since the diagnosis (paused: $pgr_pt_paused, planned: $4)"
    return 1
  fi
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_pt_at paused=$pgr_pt_paused state=$(pgr_enc "$pgr_pt_state") result=ok"; fi
  return 0
}

# pgr_await_ready SECONDS PG_ISREADY: until postmaster.pid names a live process and pg_isready accepts connections
# (a supervisor starts PostgreSQL on its own schedule).
pgr_await_ready() {
  pgr_r_end=$(($(pgr_now) + $1))
  pgr_r_ok=
  while :; do
    pgr_pid=
    pgr_port=
    if [ -f "$PGR_PGDATA/postmaster.pid" ]; then pgr_read_pidfile "$PGR_PGDATA/postmaster.pid"; fi
    if [ -n "$pgr_pid" ] && [ -n "$pgr_port" ] && pgr_read_proc "$pgr_pid" && [ "$pgr_state" != Z ]; then
      if [ ! -x "$2" ] || pgr_bounded "$2" -h "$pgr_host" -p "$pgr_port" -t 2 >/dev/null 2>&1 </dev/null; then
        pgr_r_ok=1
        break
      fi
    fi
    [ "$(pgr_now)" -lt "$pgr_r_end" ] || break
    sleep 1
  done
  if [ -n "$pgr_r_ok" ]; then
    pgr_emit "verify tool=server-start pid=$pgr_pid port=$pgr_port result=ok"
    return 0
  fi
  pgr_emit "verify tool=server-start limit=$1 result=failed"
  pgr_say "PostgreSQL did not accept connections within $1 s"
  return 1
}

# pgr_verify_unit UNIT: the unit is active and its MainPID is postmaster.pid's PID.
pgr_verify_unit() {
  pgr_k_out=$(pgr_unit_show "$1" ActiveState SubState MainPID NRestarts)
  pgr_k_state=$(pgr_sv_value "$pgr_k_out" ActiveState)
  pgr_k_main=$(pgr_sv_value "$pgr_k_out" MainPID)
  pgr_l1=
  { IFS= read -r pgr_l1 <"$PGR_PGDATA/postmaster.pid"; } 2>/dev/null
  if [ "$pgr_k_state" = active ] && [ -n "$pgr_l1" ] && [ "$pgr_k_main" = "$pgr_l1" ]; then pgr_k_res=ok; else pgr_k_res=failed; pgr_unverified=1; fi
  pgr_emit "verify tool=systemctl unit=$(pgr_enc "$1") active=$(pgr_enc "$pgr_k_state") mainpid=$(pgr_enc "$pgr_k_main") pidfile=$(pgr_enc "$pgr_l1") result=$pgr_k_res"
  printf '%s\n' "$pgr_k_out" | pgr_quote
  return 0
}

# pgr_verify_patroni URL SECONDS PAUSED: Patroni's maintenance mode is as wanted (1: paused; 0: resumed, and then it
# reports PostgreSQL running). Patroni acts on its own HA cycle, so this asks again for up to SECONDS.
pgr_verify_patroni() {
  pgr_r_end=$(($(pgr_now) + $2))
  pgr_k_res=failed
  while :; do
    if pgr_patroni_get "$1" && [ "$pgr_pt_paused" = "$3" ] && { [ "$3" = 1 ] || [ "$pgr_pt_state" = running ]; }; then
      pgr_k_res=ok
      break
    fi
    [ "$(pgr_now)" -lt "$pgr_r_end" ] || break
    sleep 1
  done
  if [ "$pgr_k_res" != ok ]; then pgr_unverified=1; fi
  pgr_emit "verify tool=patroni url=$(pgr_enc "$1") state=$(pgr_enc "${pgr_pt_state:-none}") role=$(pgr_enc "${pgr_pt_role:-none}") paused=$pgr_pt_paused result=$pgr_k_res"
  return 0
}
