# shellcheck shell=sh
# probe.sh: the read-only diagnosis of one PostgreSQL instance, in one exec. Sent after the prelude
# and lib.sh (see lib.sh for the rules every file here follows). It never changes the host: the
# read-only scanner (core/src/shell/scan-read-only.ts) and a test check every rendered probe.
#
# Parameters (set by the prelude, rendered by probe/probe-script.ts from validated values):
#   PGR_VERSION          the output grammar's version (the parser refuses others)
#   PGR_PGDATA           the data directory as configured (absolute)
#   PGR_PGBIN            the directory of pg_isready and pg_controldata, or empty
#   PGR_LOGFILE          the server log (pg_ctl -l), or empty
#   PGR_M                the marker of structural lines (from lib.sh's pgr_emit)
#   PGR_TOOL_TIMEOUT     the hard limit around pg_controldata and pg_isready (lib.sh's pgr_bounded)
#   PGR_ISREADY_TIMEOUT  pg_isready's own connect timeout (libpq's minimum is 2 s)
#   PGR_LOG_TAIL_BYTES   bytes read from the end of the server log ...
#   PGR_LOG_TAIL_LINES   ... then cut to this many lines
#   PGR_MAX_PROCS        at most this many candidate processes are listed
#   PGR_MAX_SEMSETS      at most this many semaphore sets of PostgreSQL's shape are read
# Output grammar: core/src/probe/probe-output.ts; sections and their meaning: docs/diagnosis.md.

pgr_section() { pgr_emit "section $1"; }
pgr_warn() { pgr_emit "warn $1"; }
pgr_rc() { pgr_emit "rc $1"; }
# pgr_tool NAME: the PostgreSQL tool from PGR_PGBIN, else the bin directory of the data directory's
# major version (Debian, PGDG layouts), else PATH.
pgr_tool() {
  if [ -n "$PGR_PGBIN" ] && [ -x "$PGR_PGBIN/$1" ]; then printf '%s\n' "$PGR_PGBIN/$1"; return 0; fi
  if [ -n "$pgr_major" ]; then
    for pgr_d in "/usr/lib/postgresql/$pgr_major/bin" "/usr/pgsql-$pgr_major/bin"; do
      if [ -x "$pgr_d/$1" ]; then printf '%s\n' "$pgr_d/$1"; return 0; fi
    done
  fi
  command -v "$1" 2>/dev/null
}

pgr_main() {
  pgr_init_env PGHOSTADDR PGSERVICE PGSERVICEFILE PGCONNECT_TIMEOUT

  pgr_emit "begin v=$PGR_VERSION"

  pgr_section meta
  pgr_missing=
  for pgr_t in awk tr grep ls stat head tail od uname id date getconf ipcs timeout; do
    pgr_have "$pgr_t" || pgr_missing="$pgr_missing $pgr_t"
  done
  printf 'tools_missing=%s\n' "$pgr_missing"
  printf 'hostname=%s\n' "$(uname -n 2>/dev/null)"
  printf 'kernel=%s\n' "$(uname -r 2>/dev/null)"
  printf 'uid=%s\n' "$(id -u 2>/dev/null)"
  printf 'user=%s\n' "$(id -un 2>/dev/null)"
  printf 'now=%s\n' "$(date +%s 2>/dev/null)"
  printf 'clk_tck=%s\n' "$(getconf CLK_TCK 2>/dev/null)"
  printf 'page_size=%s\n' "$(getconf PAGESIZE 2>/dev/null)"
  awk '$1 == "btime" { print "btime=" $2 }
    FILENAME == "/proc/uptime" { print "uptime=" $1 }
    FILENAME == "/proc/mounts" && $2 == "/proc" { print "proc_mount=" $4 }' \
    /proc/stat /proc/uptime /proc/mounts 2>/dev/null
  printf 'probe_pid=%s\n' "$$"
  printf 'pgdata=%s\n' "$PGR_PGDATA"
  printf 'pgbin=%s\n' "$PGR_PGBIN"
  printf 'logfile_param=%s\n' "$PGR_LOGFILE"
  if [ -d "$PGR_PGDATA" ]; then
    printf 'pgdata_real=%s\n' "$(cd "$PGR_PGDATA" 2>/dev/null && pwd -P)"
    stat -L -c 'pgdata_stat=%u %i %d %a' "$PGR_PGDATA" 2>/dev/null
    if [ ! -x "$PGR_PGDATA" ]; then pgr_warn 'pgdata-not-searchable'; fi
  else
    pgr_warn 'pgdata-not-a-directory'
  fi
  pgr_major=
  if [ -r "$PGR_PGDATA/PG_VERSION" ]; then
    IFS= read -r pgr_major <"$PGR_PGDATA/PG_VERSION"
  fi
  case $pgr_major in
    '' | *[!0-9.]*) pgr_major= ;;
  esac
  printf 'pg_version=%s\n' "$pgr_major"

  pgr_section pidfile
  pgr_pf=$PGR_PGDATA/postmaster.pid
  pgr_pid=
  pgr_port=
  pgr_host=
  if [ ! -x "$PGR_PGDATA" ]; then
    echo 'exists=unknown'
  elif [ -f "$pgr_pf" ]; then
    echo 'exists=1'
    stat -c 'stat=%s %Y %u' "$pgr_pf" 2>/dev/null
    if [ -r "$pgr_pf" ]; then
      echo 'readable=1'
      head -c 4096 "$pgr_pf" 2>/dev/null | pgr_quote
      pgr_read_pidfile "$pgr_pf"
    else
      echo 'readable=0'
    fi
  elif [ -e "$pgr_pf" ]; then
    echo 'exists=1'
    echo 'readable=0'
    pgr_warn 'pidfile-not-a-regular-file'
  else
    echo 'exists=0'
  fi

  pgr_section sysv_shm
  pgr_extra=
  if [ -r /proc/sysvipc/shm ]; then
    pgr_quote </proc/sysvipc/shm
    pgr_extra=$(awk '1 < NR && 0 < $7 { print $5; print $6 }' /proc/sysvipc/shm | head -n 256)
  else
    pgr_warn 'no-proc-sysvipc-shm'
  fi

  pgr_section sysv_sem
  pgr_semids=
  if [ -r /proc/sysvipc/sem ]; then
    pgr_quote </proc/sysvipc/sem
    pgr_semids=$(awk '1 < NR && $4 == 17 { print $2 }' /proc/sysvipc/sem | head -n "$PGR_MAX_SEMSETS")
  else
    pgr_warn 'no-proc-sysvipc-sem'
  fi
  if [ -n "$pgr_semids" ]; then
    if pgr_have ipcs; then
      for pgr_s in $pgr_semids; do
        pgr_section "sem_info semid=$pgr_s"
        pgr_out=$(ipcs -s -i "$pgr_s" 2>&1 | awk '{ print "|" $0 }
          $1 == "16" && $5 ~ /^[0-9]+$/ { c = $5 }
          END { print "creator=" c }')
        printf '%s\n' "$pgr_out"
        pgr_extra="$pgr_extra ${pgr_out##*creator=}"
      done
    else
      pgr_warn 'tool-missing ipcs: semaphore values and creator PIDs not read'
    fi
  fi

  pgr_section procs
  pgr_procs=$(printf '%s\n' /proc/[0-9]* | awk -v pm="$pgr_pid" -v self="$$" -v extra="$pgr_extra" -v max="$PGR_MAX_PROCS" '
    BEGIN {
      n = split(extra, xs, " ")
      for (i = 1; i <= n; i++) if (xs[i] ~ /^[0-9]+$/) want[xs[i]] = 1
      if (pm ~ /^[0-9]+$/) want[pm] = 1
    }
    {
      p = $0
      sub(/^\/proc\//, "", p)
      if (p !~ /^[0-9]+$/) next
      f = "/proc/" p "/stat"
      line = ""
      r = (getline line < f)
      close(f)
      if (r != 1) next
      if (!match(line, /\)[^)]*$/)) next
      rp = RSTART
      lp = index(line, "(")
      k = split(substr(line, rp + 1), a, " ")
      if (k < 20) next
      np++
      pids[np] = p
      st[p] = a[1]
      pp[p] = a[2]
      tk[p] = a[20]
      cm[p] = substr(line, lp + 1, rp - lp - 1)
      h = substr(line, 1, rp)
      for (j = 1; j <= 20; j++) h = h " " a[j]
      gsub(/[^ -~]/, "?", h)
      head[p] = h
    }
    END {
      mine[self] = 1
      for (d = 0; d < 4; d++) for (i = 1; i <= np; i++) if (pp[pids[i]] in mine) mine[pids[i]] = 1
      if (pm in mine) print "self_hit=" pm
      for (i = 1; i <= np; i++) {
        p = pids[i]
        if (p in mine) continue
        if ((p in want) || pp[p] == pm || cm[p] ~ /postgres|postmaster/) sel[p] = 1
      }
      for (i = 1; i <= np; i++) {
        p = pids[i]
        if (!(p in sel) && !(p in mine) && (pp[p] in sel)) kid[p] = 1
      }
      for (p in kid) sel[p] = 1
      print "total=" np
      out = ""
      cnt = 0
      for (i = 1; i <= np; i++) {
        p = pids[i]
        if (!(p in sel)) continue
        cnt++
        if (max < cnt) continue
        uid = "-"
        f = "/proc/" p "/status"
        while (0 < (getline s < f)) {
          if (s ~ /^Uid:/) { split(s, u, " "); uid = u[2]; break }
        }
        close(f)
        w = ""
        f = "/proc/" p "/wchan"
        getline w < f
        close(f)
        if (w == "" || w ~ /[^A-Za-z0-9_.]/) w = "-"
        print "P " uid " " w " " head[p]
        out = out " " p
      }
      print "selected=" cnt
      print "cands=" out
    }')
  printf '%s\n' "$pgr_procs"
  case $pgr_procs in
    *cands=*) pgr_cands=${pgr_procs##*cands=} ;;
    *) pgr_cands= ;;
  esac

  pgr_section cmdline
  set --
  for pgr_p in $pgr_cands; do set -- "$@" "/proc/$pgr_p/cmdline"; done
  if [ $# -gt 0 ]; then
    grep -a -H '' "$@" 2>/dev/null | tr '\000' ' ' | awk '{ print "|" $0 }'
  fi

  pgr_section links
  set --
  for pgr_p in $pgr_cands; do set -- "$@" "/proc/$pgr_p/cwd" "/proc/$pgr_p/exe"; done
  if [ $# -gt 0 ]; then
    ls -l "$@" 2>/dev/null | pgr_quote
  fi

  pgr_section maps
  set --
  for pgr_p in $pgr_cands; do set -- "$@" "/proc/$pgr_p/maps"; done
  if [ $# -gt 0 ]; then
    grep -H -e '/SYSV' -e '/PostgreSQL\.' "$@" 2>/dev/null | pgr_quote
  fi

  pgr_section dsm
  set -- /dev/shm/PostgreSQL.*
  if [ -e "$1" ]; then
    stat -c '%u %s %Y %n' "$@" 2>/dev/null | pgr_quote
  fi

  pgr_section log
  pgr_log=$PGR_LOGFILE
  pgr_src=param
  if [ -z "$pgr_log" ] && [ -r "$PGR_PGDATA/current_logfiles" ]; then
    pgr_src=current_logfiles
    pgr_first=
    while read -r pgr_kind pgr_path; do
      if [ "$pgr_kind" = stderr ]; then pgr_log=$pgr_path; break; fi
      if [ -z "$pgr_first" ]; then pgr_first=$pgr_path; fi
    done <"$PGR_PGDATA/current_logfiles"
    if [ -z "$pgr_log" ]; then pgr_log=$pgr_first; fi
    case $pgr_log in
      '' | /*) ;;
      *) pgr_log=$PGR_PGDATA/$pgr_log ;;
    esac
  fi
  if [ -z "$pgr_log" ]; then
    pgr_src=newest
    for pgr_d in "$PGR_PGDATA/log" "$PGR_PGDATA/pg_log"; do
      [ -d "$pgr_d" ] || continue
      for pgr_f in "$pgr_d"/*; do
        [ -f "$pgr_f" ] || continue
        # shellcheck disable=SC3013 # -nt is POSIX since 2024 and in dash, bash and busybox sh
        if [ -z "$pgr_log" ] || [ "$pgr_f" -nt "$pgr_log" ]; then pgr_log=$pgr_f; fi
      done
      [ -n "$pgr_log" ] && break
    done
  fi
  printf 'source=%s\n' "$pgr_src"
  printf 'file=%s\n' "$pgr_log"
  if [ -n "$pgr_log" ]; then
    if [ -r "$pgr_log" ]; then
      stat -c 'stat=%s %Y' "$pgr_log" 2>/dev/null
      tail -c "$PGR_LOG_TAIL_BYTES" "$pgr_log" 2>/dev/null | tail -n "$PGR_LOG_TAIL_LINES" | pgr_quote
    elif [ -e "$pgr_log" ]; then
      pgr_warn 'log-unreadable'
    else
      pgr_warn 'log-missing'
    fi
  fi

  pgr_section pg_control
  if [ -r "$PGR_PGDATA/global/pg_control" ]; then
    od -A n -t u4 -N 32 "$PGR_PGDATA/global/pg_control" 2>&1 | pgr_quote
  else
    pgr_warn 'pg-control-unreadable'
  fi

  pgr_section controldata
  pgr_bin=$(pgr_tool pg_controldata)
  printf 'tool=%s\n' "$pgr_bin"
  if [ -n "$pgr_bin" ]; then
    pgr_out=$(pgr_bounded "$pgr_bin" "$PGR_PGDATA" 2>&1)
    pgr_status=$?
    printf '%s\n' "$pgr_out" | awk '!/^Mock authentication nonce/ { print "|" $0 }'
    pgr_rc "$pgr_status"
  else
    pgr_warn 'tool-missing pg_controldata'
  fi

  pgr_section pg_isready
  pgr_bin=$(pgr_tool pg_isready)
  printf 'tool=%s\n' "$pgr_bin"
  if [ -z "$pgr_port" ]; then
    echo 'skipped=no-port'
  elif [ -z "$pgr_bin" ]; then
    pgr_warn 'tool-missing pg_isready'
  else
    printf 'host=%s\n' "$pgr_host"
    printf 'port=%s\n' "$pgr_port"
    pgr_out=$(pgr_bounded "$pgr_bin" -h "$pgr_host" -p "$pgr_port" -t "$PGR_ISREADY_TIMEOUT" 2>&1)
    pgr_status=$?
    printf '%s\n' "$pgr_out" | pgr_quote
    pgr_rc "$pgr_status"
  fi

  pgr_supervisor_section
  pgr_emit end
}

pgr_main </dev/null
