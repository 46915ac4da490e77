# shellcheck shell=sh
# action.sh: the constant part of every state-changing action script. Sent after the prelude and
# lib.sh (see lib.sh for the rules every file here follows). The prelude, rendered by
# actions/action-script.ts, sets the parameters below and defines the plan as two functions,
# pgr_verify and pgr_act, whose lines only call the functions of this file with validated,
# single-quoted arguments.
#
# Nothing here changes the host except pgr_do, which runs exactly the commands written in pgr_act
# (nothing in this file calls it). Every function a check uses is read-only: /proc,
# /proc/sysvipc, readlink, stat, ipcs -s -i, pg_isready, psql `select 1`.
#
# Parameters (set by the prelude):
#   PGR_ACTION_VERSION   the output grammar's version
#   PGR_RUNG             the ladder rung this script carries out
#   PGR_PGDATA           the data directory as configured (pg_ctl -D)
#   PGR_PGDATA_REAL      ... and as resolved at the diagnosis (compared with /proc/PID/cwd)
#   PGR_UID              the instance's OS user
#   PGR_AS_OWNER         1: must run as exactly that uid (pg_ctl refuses root); 0: root may run it
#   PGR_TOOLS            extra tools the host must have (space-separated words)
#   PGR_M                the marker of structural lines (lib.sh's pgr_emit)
#   PGR_TOOL_TIMEOUT     the hard limit around pg_isready and psql (lib.sh's pgr_bounded)
#   PGR_ISREADY_TIMEOUT  pg_isready's own connect timeout when a start is verified
#   PGR_LOG_TAIL_LINES   lines of the server log shown when a start fails
#   PGR_EXIT_OK, PGR_EXIT_UNABLE, PGR_EXIT_REFUSED, PGR_EXIT_FAILED, PGR_EXIT_SURVIVORS,
#   PGR_EXIT_UNVERIFIED  the exit codes, from ACTION_EXIT in actions/action-protocol.ts
# Output grammar: core/src/actions/action-output.ts; what each rung does: docs/ladder.md.

# pgr_say TEXT: a line for the operator.
pgr_say() { printf '%s\n' "$*"; }
# pgr_enc VALUE: a value inside a structural line: %, space and tab percent-encoded, other control
# characters as `?`, several lines joined with %0A.
pgr_enc() {
  printf '%s' "$1" | tr -d '\000' | awk 'BEGIN { ORS = "" } { gsub(/%/, "%25"); gsub(/ /, "%20"); gsub(/\t/, "%09"); gsub(/[\001-\037\177]/, "?"); if (1 < NR) print "%0A"; print }'
}
pgr_now() { date +%s; }
pgr_nap() { sleep 0.1 2>/dev/null || sleep 1; }

pgr_refuse() {
  pgr_refusals=$((pgr_refusals + 1))
  pgr_emit "refuse phase=$pgr_phase $1"
  pgr_say "refused: $2"
}
pgr_unable() {
  pgr_unables=$((pgr_unables + 1))
  pgr_emit "unable $1"
  pgr_say "cannot run: $2"
}
pgr_notice() {
  pgr_emit "notice $1"
  pgr_say "note: $2"
}

# pgr_read_proc PID: sets pgr_state and pgr_ticks (field 22) from /proc/PID/stat; 1 if gone.
# comm (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
pgr_read_proc() {
  pgr_state=
  pgr_ticks=
  pgr_line=
  [ -r "/proc/$1/stat" ] || return 1
  { IFS= read -r pgr_line <"/proc/$1/stat"; } 2>/dev/null
  [ -n "$pgr_line" ] || return 1
  pgr_rest=${pgr_line##*)}
  set -f
  set -- $pgr_rest
  set +f
  [ "$#" -ge 20 ] || return 1
  pgr_state=$1
  shift 19
  pgr_ticks=$1
  return 0
}
pgr_proc_uid() { awk '$1 == "Uid:" { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
pgr_alive() {
  pgr_read_proc "$1" && [ "$pgr_ticks" = "$2" ] && [ "$pgr_state" != Z ]
}

# pgr_check_proc ROLE PID TICKS UID EXE: the very process of the diagnosis, in PGDATA, same binary and owner.
pgr_check_proc() {
  pgr_c_role=$1
  pgr_c_pid=$2
  pgr_c_ticks=$3
  pgr_c_uid=$4
  pgr_c_exe=$5
  pgr_c_id="pid=$pgr_c_pid role=$pgr_c_role"
  if ! pgr_read_proc "$pgr_c_pid"; then
    pgr_refuse "$pgr_c_id reason=gone expected=$pgr_c_ticks" "PID $pgr_c_pid ($pgr_c_role) no longer exists"
    return 1
  fi
  if [ "$pgr_ticks" != "$pgr_c_ticks" ]; then
    pgr_refuse "$pgr_c_id reason=start-time-changed expected=$pgr_c_ticks found=$pgr_ticks" "PID $pgr_c_pid now belongs to a process started at tick $pgr_ticks, not $pgr_c_ticks: a different process, it will not be touched"
    return 1
  fi
  if [ "$pgr_state" = Z ]; then
    pgr_refuse "$pgr_c_id reason=exited found=Z" "PID $pgr_c_pid ($pgr_c_role) has exited since the diagnosis (zombie)"
    return 1
  fi
  pgr_c_state=$pgr_state
  pgr_c_ok=1
  pgr_f=$(pgr_proc_uid "$pgr_c_pid")
  if [ "$pgr_f" != "$pgr_c_uid" ]; then
    pgr_refuse "$pgr_c_id reason=uid-changed expected=$pgr_c_uid found=$(pgr_enc "$pgr_f")" "PID $pgr_c_pid runs as uid $(pgr_enc "$pgr_f"), not $pgr_c_uid"
    pgr_c_ok=
  fi
  pgr_f=$(readlink "/proc/$pgr_c_pid/cwd" 2>/dev/null)
  if [ "$pgr_f" != "$PGR_PGDATA_REAL" ]; then
    pgr_f=$(pgr_enc "${pgr_f:-unreadable}")
    pgr_refuse "$pgr_c_id reason=cwd-changed expected=$(pgr_enc "$PGR_PGDATA_REAL") found=$pgr_f" "PID $pgr_c_pid works in $pgr_f, not in PGDATA"
    pgr_c_ok=
  fi
  pgr_f=$(readlink "/proc/$pgr_c_pid/exe" 2>/dev/null)
  pgr_f=${pgr_f%' (deleted)'}
  if [ "$pgr_f" != "$pgr_c_exe" ]; then
    pgr_f=$(pgr_enc "${pgr_f:-unreadable}")
    pgr_refuse "$pgr_c_id reason=exe-changed expected=$(pgr_enc "$pgr_c_exe") found=$pgr_f" "PID $pgr_c_pid runs $pgr_f, not $(pgr_enc "$pgr_c_exe")"
    pgr_c_ok=
  fi
  [ -n "$pgr_c_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_c_id state=$pgr_c_state result=ok"; fi
  return 0
}

pgr_check_tool() {
  if [ ! -f "$1" ] || [ ! -x "$1" ]; then
    pgr_unable "reason=tool-missing tool=$(pgr_enc "$1")" "$(pgr_enc "$1") is not an executable file on this host"
    return 1
  fi
  return 0
}

# pgr_check_pidfile absent | present MTIME pid:N|empty|any
pgr_check_pidfile() {
  pgr_pf=$PGR_PGDATA/postmaster.pid
  if [ "$1" = absent ]; then
    if [ -e "$pgr_pf" ] || [ -L "$pgr_pf" ]; then
      pgr_refuse "object=pidfile reason=pidfile-appeared" "postmaster.pid exists now; it did not at the diagnosis"
      return 1
    fi
    if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pidfile state=absent result=ok"; fi
    return 0
  fi
  if [ ! -f "$pgr_pf" ]; then
    pgr_refuse "object=pidfile reason=pidfile-gone" "postmaster.pid is gone since the diagnosis"
    return 1
  fi
  pgr_f=$(stat -c %Y "$pgr_pf" 2>/dev/null)
  if [ "$pgr_f" != "$2" ]; then
    pgr_refuse "object=pidfile reason=pidfile-changed field=mtime expected=$2 found=$(pgr_enc "$pgr_f")" "postmaster.pid was modified since the diagnosis"
    return 1
  fi
  pgr_check_pidfile_line1 "$3" || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pidfile mtime=$2 result=ok"; fi
  return 0
}
pgr_check_pidfile_line1() {
  pgr_l1=
  { IFS= read -r pgr_l1 <"$PGR_PGDATA/postmaster.pid"; } 2>/dev/null
  case $1 in
    pid:*) pgr_want=${1#pid:} ;;
    empty) pgr_want= ;;
    *) return 0 ;;
  esac
  if [ "$pgr_l1" != "$pgr_want" ]; then
    pgr_refuse "object=pidfile reason=pidfile-changed field=line1 expected=$pgr_want found=$(pgr_enc "$pgr_l1")" "postmaster.pid now names $(pgr_enc "$pgr_l1"), not $pgr_want"
    return 1
  fi
  return 0
}
pgr_check_pidfile_pid() {
  if [ ! -f "$PGR_PGDATA/postmaster.pid" ]; then
    pgr_refuse "object=pidfile reason=pidfile-gone" "postmaster.pid is gone since the diagnosis"
    return 1
  fi
  pgr_check_pidfile_line1 "pid:$1"
}
# The PID named in postmaster.pid must not be a live process working in PGDATA.
pgr_check_pidfile_unowned() {
  if pgr_read_proc "$1" && [ "$pgr_state" != Z ]; then
    pgr_f=$(readlink "/proc/$1/cwd" 2>/dev/null)
    if [ "$pgr_f" = "$PGR_PGDATA_REAL" ]; then
      pgr_refuse "object=pidfile pid=$1 reason=pidfile-owner-alive" "PID $1 of postmaster.pid is alive and works in PGDATA: its pid file is never moved"
      return 1
    fi
  fi
  return 0
}
pgr_check_absent() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    pgr_refuse "object=file reason=destination-exists path=$(pgr_enc "$1")" "$(pgr_enc "$1") already exists"
    return 1
  fi
  return 0
}

# pgr_check_socket_lock PATH PID: absent, or written by that PID for this PGDATA (lines 1 and 2).
pgr_check_socket_lock() {
  [ -e "$1" ] || return 0
  pgr_l1=
  pgr_l2=
  {
    IFS= read -r pgr_l1
    IFS= read -r pgr_l2
  } 2>/dev/null <"$1"
  if [ "$pgr_l1" != "$2" ]; then
    pgr_refuse "object=socket-lock reason=socket-lock-changed expected=$2 found=$(pgr_enc "$pgr_l1")" "$(pgr_enc "$1") names PID $(pgr_enc "$pgr_l1"), not $2"
    return 1
  fi
  if [ "$pgr_l2" != "$PGR_PGDATA" ] && [ "$pgr_l2" != "$PGR_PGDATA_REAL" ]; then
    pgr_refuse "object=socket-lock reason=socket-lock-foreign found=$(pgr_enc "$pgr_l2")" "$(pgr_enc "$1") belongs to data directory $(pgr_enc "$pgr_l2")"
    return 1
  fi
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=socket-lock pid=$2 result=ok"; fi
  return 0
}

# PIDs whose working directory is PGDATA (readable links only: own processes, or all as root).
pgr_pgdata_pids() {
  ls -l /proc/[0-9]*/cwd 2>/dev/null | awk -v r="$PGR_PGDATA_REAL" '{ s = " -> " r; n = length(s); if (n < length($0) && substr($0, length($0) - n + 1) == s) { p = $0; sub(/\/cwd -> .*$/, "", p); sub(/^.*\/proc\//, "", p); print p } }'
}
pgr_is_pg_exe() {
  pgr_e=$(readlink "/proc/$1/exe" 2>/dev/null)
  case ${pgr_e##*/} in
    *postgres* | *postmaster*) return 0 ;;
  esac
  return 1
}
# pgr_check_pgdata_procs [ALLOWED_PID...]: no other PostgreSQL process works in PGDATA.
# shellcheck disable=SC2120 # the allowed PIDs are optional: a plan may pass none
pgr_check_pgdata_procs() {
  pgr_g_ok=1
  for pgr_g in $(pgr_pgdata_pids); do
    case " $* " in *" $pgr_g "*) continue ;; esac
    pgr_is_pg_exe "$pgr_g" || continue
    pgr_read_proc "$pgr_g" || continue
    [ "$pgr_state" != Z ] || continue
    pgr_refuse "pid=$pgr_g reason=unplanned-process state=$pgr_state" "PID $pgr_g runs a PostgreSQL binary in PGDATA and is not part of this plan"
    pgr_g_ok=
  done
  [ -n "$pgr_g_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check object=pgdata-processes planned=$# result=ok"; fi
  return 0
}
pgr_report_pgdata_procs() {
  for pgr_g in $(pgr_pgdata_pids); do
    pgr_is_pg_exe "$pgr_g" || continue
    pgr_read_proc "$pgr_g" || continue
    [ "$pgr_state" != Z ] || continue
    pgr_notice "pid=$pgr_g reason=still-running state=$pgr_state" "PID $pgr_g (state $pgr_state) still runs a PostgreSQL binary in PGDATA"
    pgr_survivors=$((pgr_survivors + 1))
  done
}

# pgr_check_sem SEMID KEY UID CREATOR: PostgreSQL's shape and magic, created by this instance's dead postmaster.
pgr_check_sem() {
  pgr_s_id=$1
  pgr_s_key=$2
  pgr_s_uid=$3
  pgr_s_creator=$4
  pgr_s_at="object=sem id=$pgr_s_id"
  pgr_s_row=$(awk -v id="$pgr_s_id" '1 < NR && $2 == id { k = $1 + 0; if (k < 0) k += 4294967296; printf "%.0f %s %s %s\n", k, $5, $4, $10; exit }' /proc/sysvipc/sem 2>/dev/null)
  if [ -z "$pgr_s_row" ]; then
    pgr_refuse "$pgr_s_at reason=sem-gone" "semaphore set $pgr_s_id no longer exists"
    return 1
  fi
  set -- $pgr_s_row
  pgr_s_ok=1
  if [ "$1" != "$pgr_s_key" ]; then
    pgr_refuse "$pgr_s_at reason=sem-key-changed expected=$pgr_s_key found=$1" "semaphore set $pgr_s_id now has key $1, not $pgr_s_key"
    pgr_s_ok=
  fi
  if [ "$2" != "$pgr_s_uid" ]; then
    pgr_refuse "$pgr_s_at reason=sem-owner-changed expected=$pgr_s_uid found=$2" "semaphore set $pgr_s_id belongs to uid $2"
    pgr_s_ok=
  fi
  if [ "$3" != 17 ]; then
    pgr_refuse "$pgr_s_at reason=sem-shape-changed expected=17 found=$3" "semaphore set $pgr_s_id has $3 semaphores, not PostgreSQL's 17"
    pgr_s_ok=
  fi
  pgr_s_ctime=$4
  [ -n "$pgr_s_ok" ] || return 1
  pgr_s_info=$(ipcs -s -i "$pgr_s_id" 2>/dev/null | awk '$1 == "16" && NF == 5 { print $2 " " $5 }')
  if [ -z "$pgr_s_info" ]; then
    pgr_refuse "$pgr_s_at reason=sem-unreadable" "ipcs -s -i $pgr_s_id could not read the set's values"
    return 1
  fi
  set -- $pgr_s_info
  if [ "$1" != 537 ]; then
    pgr_refuse "$pgr_s_at reason=sem-magic-missing expected=537 found=$1" "semaphore 16 of set $pgr_s_id holds $1, not PostgreSQL's marker 537"
    pgr_s_ok=
  fi
  if [ "$2" != "$pgr_s_creator" ]; then
    pgr_refuse "$pgr_s_at reason=sem-creator-changed expected=$pgr_s_creator found=$2" "semaphore set $pgr_s_id was last set by PID $2, not by postmaster $pgr_s_creator"
    pgr_s_ok=
  fi
  if pgr_read_proc "$pgr_s_creator" && [ "$pgr_state" != Z ]; then
    pgr_s_started=$(awk -v t="$pgr_ticks" -v b="$pgr_btime" -v h="$pgr_clk" 'BEGIN { printf "%.0f\n", b + t / h }')
    if [ "$pgr_s_started" -le $((pgr_s_ctime + 5)) ]; then
      pgr_refuse "$pgr_s_at pid=$pgr_s_creator reason=sem-creator-alive" "the creator of semaphore set $pgr_s_id, PID $pgr_s_creator, is alive"
      pgr_s_ok=
    fi
  fi
  [ -n "$pgr_s_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_s_at result=ok"; fi
  return 0
}

# pgr_check_shm SHMID KEY UID: the segment exists as recorded and nobody is attached.
pgr_check_shm() {
  pgr_m_at="object=shm id=$1"
  pgr_m_row=$(awk -v id="$1" '1 < NR && $2 == id { k = $1 + 0; if (k < 0) k += 4294967296; printf "%.0f %s %s\n", k, $8, $7; exit }' /proc/sysvipc/shm 2>/dev/null)
  if [ -z "$pgr_m_row" ]; then
    pgr_refuse "$pgr_m_at reason=shm-gone" "shared memory segment $1 no longer exists"
    return 1
  fi
  pgr_m_key=$2
  pgr_m_uid=$3
  set -- $pgr_m_row
  pgr_m_ok=1
  if [ "$1" != "$pgr_m_key" ]; then
    pgr_refuse "$pgr_m_at reason=shm-key-changed expected=$pgr_m_key found=$1" "the segment now has key $1"
    pgr_m_ok=
  fi
  if [ "$2" != "$pgr_m_uid" ]; then
    pgr_refuse "$pgr_m_at reason=shm-owner-changed expected=$pgr_m_uid found=$2" "the segment belongs to uid $2"
    pgr_m_ok=
  fi
  if [ "$3" != 0 ]; then
    pgr_refuse "$pgr_m_at reason=shm-attached expected=0 found=$3" "$3 process(es) are attached to the segment"
    pgr_m_ok=
  fi
  [ -n "$pgr_m_ok" ] || return 1
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_m_at result=ok"; fi
  return 0
}

# pgr_check_dsm PATH UID: owned by the instance user, mapped by nobody, nothing left to clean it up.
pgr_check_dsm() {
  pgr_d_at="object=dsm path=$(pgr_enc "$1")"
  if [ ! -f "$1" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-gone" "$1 no longer exists"
    return 1
  fi
  pgr_f=$(stat -c %u "$1" 2>/dev/null)
  if [ "$pgr_f" != "$2" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-owner-changed expected=$2 found=$(pgr_enc "$pgr_f")" "$1 belongs to uid $(pgr_enc "$pgr_f")"
    return 1
  fi
  for pgr_g in $(grep -l -F -e "$1" /proc/[0-9]*/maps 2>/dev/null); do
    if awk -v p="$1" '$NF == p || ($NF == "(deleted)" && $(NF - 1) == p) { f = 1 } END { exit !f }' "$pgr_g" 2>/dev/null; then
      pgr_g=${pgr_g#/proc/}
      pgr_refuse "$pgr_d_at reason=dsm-mapped pid=${pgr_g%/maps}" "$1 is mapped by PID ${pgr_g%/maps}"
      return 1
    fi
  done
  pgr_f=$(awk -v u="$2" '1 < NR && $8 == u { print $2; exit }' /proc/sysvipc/shm 2>/dev/null)
  if [ -n "$pgr_f" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-control-segment id=$pgr_f" "SysV segment $pgr_f of the same user remains: PostgreSQL removes $1 itself through it"
    return 1
  fi
  pgr_f=$(ls -l /proc/[0-9]*/exe 2>/dev/null | awk '{ e = $NF; if (e == "(deleted)") e = $(NF - 1); sub(/^.*\//, "", e) } e ~ /postgres|postmaster/ { p = $0; sub(/\/exe -> .*$/, "", p); sub(/^.*\/proc\//, "", p); print p; exit }')
  if [ -n "$pgr_f" ]; then
    pgr_refuse "$pgr_d_at reason=dsm-postgres-running pid=$pgr_f" "a PostgreSQL process (PID $pgr_f) runs: $1 may be its segment"
    return 1
  fi
  if [ "$pgr_phase" = verify ]; then pgr_emit "check $pgr_d_at result=ok"; fi
  return 0
}

# Informational: signals already pending on a process act as soon as it runs again.
pgr_report_pending() {
  pgr_f=$(awk '$1 == "ShdPnd:" || $1 == "SigPnd:" { print $2 }' "/proc/$1/status" 2>/dev/null | awk '{ n = length($0); v = index("0123456789abcdef", substr($0, n, 1)) - 1; w = index("0123456789abcdef", substr($0, n - 3, 1)) - 1; if (int(v / 2) % 2) s["SIGINT"] = 1; if (int(v / 4) % 2) s["SIGQUIT"] = 1; if (int(w / 4) % 2) s["SIGTERM"] = 1 } END { for (k in s) o = o (o == "" ? "" : ",") k; print o }')
  if [ -n "$pgr_f" ]; then
    pgr_notice "pid=$1 reason=pending-signals signals=$pgr_f" "PID $1 has $pgr_f pending (from an earlier stop attempt?): it acts on that as soon as it runs again"
  fi
  return 0
}

pgr_describe() {
  case $1 in
    timeout)
      shift 2
      pgr_describe "$@"
      return 0
      ;;
    sudo)
      shift
      if [ "$1" = -n ]; then shift; fi
      pgr_describe "$@"
      pgr_what="$pgr_what via=sudo"
      return 0
      ;;
    */systemctl)
      for pgr_a in "$@"; do pgr_last=$pgr_a; done
      pgr_what="systemctl op=$2 unit=$(pgr_enc "$pgr_last")"
      ;;
    */patronictl) pgr_what="patronictl op=$4" ;;
    kill) pgr_what="kill pid=$3 signal=${2#-}" ;;
    ipcrm)
      if [ "$2" = -s ]; then pgr_what="ipcrm kind=sem id=$3"; else pgr_what="ipcrm kind=shm id=$3"; fi
      ;;
    mv) pgr_what="mv from=$(pgr_enc "$3") to=$(pgr_enc "$4")" ;;
    rm) pgr_what="rm path=$(pgr_enc "$3")" ;;
    */pg_ctl)
      if [ "$2" = stop ]; then pgr_what="pg_ctl op=stop mode=$6"; else pgr_what="pg_ctl op=$2"; fi
      ;;
    *) pgr_what="command name=$(pgr_enc "$1")" ;;
  esac
}

# pgr_do COMMAND...: the only place a command that changes the host runs.
pgr_do() {
  pgr_describe "$@"
  pgr_emit "run $pgr_what"
  pgr_out=$("$@" 2>&1 </dev/null)
  pgr_rc=$?
  if [ "$pgr_rc" -eq 0 ]; then
    pgr_emit "action $pgr_what result=ok rc=0"
  elif [ "$1" = kill ] && ! pgr_read_proc "$3"; then
    pgr_emit "action $pgr_what result=gone rc=$pgr_rc"
    pgr_rc=0
  else
    pgr_emit "action $pgr_what result=failed rc=$pgr_rc"
  fi
  if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  [ "$pgr_rc" -eq 0 ]
}

# pgr_await_gone SECONDS PID:TICKS...: wait until each process has died (gone, or a zombie awaiting its parent).
pgr_await_gone() {
  pgr_w_end=$(($(pgr_now) + $1))
  shift
  while :; do
    pgr_w_left=
    for pgr_w in "$@"; do
      if pgr_alive "${pgr_w%%:*}" "${pgr_w#*:}"; then
        pgr_w_left=1
        break
      fi
    done
    [ -n "$pgr_w_left" ] || break
    [ "$(pgr_now)" -lt "$pgr_w_end" ] || break
    pgr_nap
  done
  for pgr_w in "$@"; do
    pgr_w_pid=${pgr_w%%:*}
    if ! pgr_read_proc "$pgr_w_pid" || [ "$pgr_ticks" != "${pgr_w#*:}" ]; then
      pgr_emit "wait pid=$pgr_w_pid outcome=gone"
    elif [ "$pgr_state" = Z ]; then
      pgr_emit "wait pid=$pgr_w_pid outcome=exited state=Z"
    else
      pgr_w_chan=$(cat "/proc/$pgr_w_pid/wchan" 2>/dev/null)
      pgr_w_chan=$(pgr_enc "${pgr_w_chan:-0}")
      pgr_emit "wait pid=$pgr_w_pid outcome=survived state=$pgr_state wchan=$pgr_w_chan"
      if [ "$pgr_state" = D ]; then
        pgr_say "PID $pgr_w_pid survived SIGKILL: it is in uninterruptible sleep (D, wchan $pgr_w_chan); it dies when its kernel call returns (check the storage, NFS)"
      else
        pgr_say "PID $pgr_w_pid still exists (state $pgr_state, wchan $pgr_w_chan)"
      fi
      pgr_survivors=$((pgr_survivors + 1))
    fi
  done
  return 0
}

# pgr_await_reaped SECONDS PID:TICKS...: zombies disappear once their parent reaps them (or init, after the parent died).
pgr_await_reaped() {
  pgr_w_end=$(($(pgr_now) + $1))
  shift
  while :; do
    pgr_w_left=
    for pgr_w in "$@"; do
      if pgr_read_proc "${pgr_w%%:*}" && [ "$pgr_ticks" = "${pgr_w#*:}" ]; then
        pgr_w_left=1
        break
      fi
    done
    [ -n "$pgr_w_left" ] || break
    [ "$(pgr_now)" -lt "$pgr_w_end" ] || break
    pgr_nap
  done
  for pgr_w in "$@"; do
    pgr_w_pid=${pgr_w%%:*}
    if pgr_read_proc "$pgr_w_pid" && [ "$pgr_ticks" = "${pgr_w#*:}" ]; then
      pgr_w_pp=$(awk '$1 == "PPid:" { print $2; exit }' "/proc/$pgr_w_pid/status" 2>/dev/null)
      pgr_emit "reap pid=$pgr_w_pid outcome=not-reaped state=$pgr_state ppid=$(pgr_enc "$pgr_w_pp")"
    else
      pgr_emit "reap pid=$pgr_w_pid outcome=reaped"
    fi
  done
  return 0
}

# pgr_observe SECONDS PID:TICKS...: the states a moment after an action (informational).
pgr_observe() {
  sleep "$1"
  shift
  for pgr_w in "$@"; do
    pgr_w_pid=${pgr_w%%:*}
    if pgr_read_proc "$pgr_w_pid" && [ "$pgr_ticks" = "${pgr_w#*:}" ]; then
      pgr_emit "observe pid=$pgr_w_pid state=$pgr_state"
    else
      pgr_emit "observe pid=$pgr_w_pid state=gone"
    fi
  done
  return 0
}

pgr_no_survivors() {
  if [ "$pgr_survivors" -gt 0 ]; then
    pgr_emit "skip step=cleanup reason=survivors"
    pgr_say "cleanup skipped: $pgr_survivors process(es) of this instance still exist"
    return 1
  fi
  return 0
}

pgr_log_tail() {
  if [ -r "$1" ]; then
    pgr_emit "log file=$(pgr_enc "$1")"
    tail -n "$PGR_LOG_TAIL_LINES" "$1" 2>/dev/null | pgr_quote
  fi
}

# pgr_verify_ready PG_ISREADY PSQL: ask the server named by the new postmaster.pid, then run select 1.
pgr_verify_ready() {
  # Results of pgr_read_pidfile (lib.sh).
  pgr_port=
  pgr_host=
  pgr_read_pidfile "$PGR_PGDATA/postmaster.pid"
  if [ -z "$pgr_port" ]; then
    pgr_emit "verify tool=pg_isready result=failed reason=no-port"
    pgr_unverified=1
    return 0
  fi
  pgr_v_ran=
  if [ -x "$1" ]; then
    pgr_out=$(pgr_bounded "$1" -h "$pgr_host" -p "$pgr_port" -t "$PGR_ISREADY_TIMEOUT" 2>&1 </dev/null)
    pgr_rc=$?
    pgr_v_ran=1
    if [ "$pgr_rc" -eq 0 ]; then pgr_v_res=ok; else pgr_v_res=failed; pgr_unverified=1; fi
    pgr_emit "verify tool=pg_isready host=$(pgr_enc "$pgr_host") port=$pgr_port rc=$pgr_rc result=$pgr_v_res"
    if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  else
    pgr_emit "verify tool=pg_isready result=skipped reason=tool-missing"
  fi
  if [ -x "$2" ]; then
    pgr_out=$(pgr_bounded "$2" -X -A -t -q -h "$pgr_host" -p "$pgr_port" -d postgres -c 'select 1' 2>&1 </dev/null)
    pgr_rc=$?
    pgr_v_ran=1
    if [ "$pgr_rc" -eq 0 ] && [ "$pgr_out" = 1 ]; then pgr_v_res=ok; else pgr_v_res=failed; pgr_unverified=1; fi
    pgr_emit "verify tool=psql query=select%201 rc=$pgr_rc result=$pgr_v_res"
    if [ -n "$pgr_out" ]; then printf '%s\n' "$pgr_out" | pgr_quote; fi
  else
    pgr_emit "verify tool=psql result=skipped reason=tool-missing"
  fi
  if [ -z "$pgr_v_ran" ]; then
    pgr_say "neither pg_isready nor psql exists in the bin directory: the start is not verified"
    pgr_unverified=1
  fi
  return 0
}

# pgr_finish CODE STATUS: the end line, then the exit code (both from ACTION_EXIT, via the prelude).
pgr_finish() {
  pgr_emit "end status=$2 exit=$1"
  exit "$1"
}

pgr_main() {
  pgr_init_env PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGOPTIONS PGSERVICE PGSERVICEFILE PGCONNECT_TIMEOUT PGCTLTIMEOUT PGDATA
  pgr_refusals=0
  pgr_unables=0
  pgr_survivors=0
  pgr_failed=
  pgr_unverified=
  pgr_phase=preflight
  pgr_emit "begin action v=$PGR_ACTION_VERSION rung=$PGR_RUNG"

  for pgr_t in awk readlink id date sleep stat cat tr grep tail ls $PGR_TOOLS; do
    pgr_have "$pgr_t" || pgr_unable "reason=tool-missing tool=$pgr_t" "$pgr_t is not installed on this host"
  done
  pgr_me=$(id -u 2>/dev/null)
  if [ "$pgr_me" != "$PGR_UID" ] && { [ "$PGR_AS_OWNER" = 1 ] || [ "$pgr_me" != 0 ]; }; then
    pgr_unable "reason=wrong-user expected=$PGR_UID found=$(pgr_enc "$pgr_me")" "this step must run as the instance's OS user (uid $PGR_UID), not uid $(pgr_enc "$pgr_me")"
  fi
  [ "$pgr_unables" -eq 0 ] || pgr_finish "$PGR_EXIT_UNABLE" unable
  pgr_btime=$(awk '$1 == "btime" { print $2 }' /proc/stat 2>/dev/null)
  pgr_clk=$(getconf CLK_TCK 2>/dev/null)
  case $pgr_clk in '' | *[!0-9]* | 0) pgr_clk=100 ;; esac
  case $pgr_btime in '' | *[!0-9]*) pgr_btime=0 ;; esac

  pgr_phase=verify
  pgr_real=$(cd "$PGR_PGDATA" 2>/dev/null && pwd -P)
  if [ "$pgr_real" != "$PGR_PGDATA_REAL" ]; then
    pgr_refuse "object=pgdata reason=pgdata-changed expected=$(pgr_enc "$PGR_PGDATA_REAL") found=$(pgr_enc "${pgr_real:-unreadable}")" "PGDATA now resolves to $(pgr_enc "${pgr_real:-nothing}")"
  fi
  pgr_verify
  [ "$pgr_unables" -eq 0 ] || pgr_finish "$PGR_EXIT_UNABLE" unable
  if [ "$pgr_refusals" -gt 0 ]; then
    pgr_say "nothing was changed: $pgr_refusals difference(s) from the plan; diagnose again"
    pgr_finish "$PGR_EXIT_REFUSED" refused
  fi
  pgr_emit "verified"

  pgr_phase=act
  pgr_act || pgr_failed=1
  [ -z "$pgr_failed" ] || pgr_finish "$PGR_EXIT_FAILED" failed
  [ "$pgr_survivors" -eq 0 ] || pgr_finish "$PGR_EXIT_SURVIVORS" survivors
  [ -z "$pgr_unverified" ] || pgr_finish "$PGR_EXIT_UNVERIFIED" unverified
  pgr_finish "$PGR_EXIT_OK" ok
}

pgr_main </dev/null
