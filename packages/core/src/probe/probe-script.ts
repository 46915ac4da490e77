// The read-only diagnosis probe: one fixed POSIX sh template, run in a single SSH exec.
import { requireAbsolutePath, shellQuote } from "../shell/quote.ts";

/** Bumped whenever the output grammar changes; the parser refuses unknown versions. */
export const PROBE_VERSION = "1";

/** Every structural line of the probe's output starts with this; content lines never do. */
export const PROBE_MARKER = "@@pgrescue:";

/** Bytes of the server log read from its end (then cut to the last LOG_TAIL_LINES lines). */
export const LOG_TAIL_BYTES = 16384;
export const LOG_TAIL_LINES = 50;
/** pg_isready connect timeout (libpq's minimum is 2 s) and the hard bound around it. */
export const PG_ISREADY_TIMEOUT_SEC = 3;
export const TOOL_HARD_TIMEOUT_SEC = 10;
/** Upper bounds that keep the output small on hosts with huge process or IPC tables. */
export const MAX_CANDIDATE_PROCESSES = 4000;
export const MAX_SEMAPHORE_SETS = 1024;

export type TProbeParams = {
  /** Data directory as configured (absolute; symlinks are resolved by the probe). */
  pgdata: string;
  /** Directory holding pg_isready and pg_controldata; otherwise derived from PG_VERSION/PATH. */
  pgBin?: string;
  /** Server log file (pg_ctl -l); otherwise current_logfiles, then the newest file in log/. */
  logFile?: string;
};

/**
 * How the remote executor must run the script (docs/diagnosis.md): POSIX sh reading the script
 * from stdin, as the instance's OS user, in one exec. Measured on the lab: 30–250 ms and 2–35 KB
 * for up to ~20 processes, ~250 ms and ~200 KB for 256 backends (about 0.8 KB per process); plus
 * up to 3 s when pg_isready gets no answer, and never more than 2 × TOOL_HARD_TIMEOUT_SEC for the
 * two tools when `timeout` exists.
 */
export const PROBE_INVOCATION = {
  command: "/bin/sh -s",
  stdin: "the script returned by buildProbeScript",
  env: { LC_ALL: "C" },
  runAs: "the instance's OS user, directly or through sudo -n -u <user>",
  suggestedTimeoutSec: 30,
} as const;

/**
 * Build the probe script for one instance. Every interpolated value is validated and
 * single-quoted; the script body itself is a constant.
 */
export function buildProbeScript(params: TProbeParams): string {
  const pgdata = shellQuote(requireAbsolutePath(params.pgdata, "pgdata"));
  const pgBin =
    params.pgBin === undefined ? "''" : shellQuote(requireAbsolutePath(params.pgBin, "pgBin"));
  const logFile =
    params.logFile === undefined
      ? "''"
      : shellQuote(requireAbsolutePath(params.logFile, "logFile"));
  return [
    `# pgrescue probe v${PROBE_VERSION}: read-only diagnosis of one PostgreSQL instance (POSIX sh).`,
    `PGR_PGDATA=${pgdata}`,
    `PGR_PGBIN=${pgBin}`,
    `PGR_LOGFILE=${logFile}`,
    `PGR_VERSION=${PROBE_VERSION}`,
    PROBE_BODY,
  ].join("\n");
}

// The body is parsed completely before anything runs (one function, called at the end), so a
// truncated delivery runs nothing, and every command gets /dev/null as stdin: nothing can eat
// the rest of the script from `sh -s`'s stdin. Awk programs avoid `>` entirely so the
// read-only scan can reject any output redirection inside them.
const PROBE_BODY = String.raw`
pgr_section() { printf '%ssection %s\n' "$PGR_M" "$1"; }
pgr_warn() { printf '%swarn %s\n' "$PGR_M" "$1"; }
pgr_rc() { printf '%src %s\n' "$PGR_M" "$1"; }
pgr_quote() { tr -d '\000' | awk '{ print "|" $0 }'; }
pgr_have() { command -v "$1" >/dev/null 2>&1; }
pgr_bounded() {
  if pgr_have timeout; then timeout ${TOOL_HARD_TIMEOUT_SEC} "$@"; else "$@"; fi
}
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
  LC_ALL=C
  LANG=C
  export LC_ALL LANG
  unset LANGUAGE PGHOSTADDR PGSERVICE PGSERVICEFILE PGCONNECT_TIMEOUT
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
  export PATH
  PGR_M=@@pgrescue:

  printf '%sbegin v=%s\n' "$PGR_M" "$PGR_VERSION"

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
  pgr_sock=
  pgr_listen=
  if [ ! -x "$PGR_PGDATA" ]; then
    echo 'exists=unknown'
  elif [ -f "$pgr_pf" ]; then
    echo 'exists=1'
    stat -c 'stat=%s %Y %u' "$pgr_pf" 2>/dev/null
    if [ -r "$pgr_pf" ]; then
      echo 'readable=1'
      head -c 4096 "$pgr_pf" 2>/dev/null | pgr_quote
      {
        IFS= read -r pgr_l1
        IFS= read -r pgr_l2
        IFS= read -r pgr_l3
        IFS= read -r pgr_l4
        IFS= read -r pgr_l5
        IFS= read -r pgr_l6
      } 2>/dev/null <"$pgr_pf"
      case $pgr_l1 in
        -*) pgr_l1=${"$"}{pgr_l1#-} ;;
      esac
      case $pgr_l1 in
        '' | *[!0-9]*) ;;
        *) pgr_pid=$pgr_l1 ;;
      esac
      case $pgr_l4 in
        '' | *[!0-9]*) ;;
        *) pgr_port=$pgr_l4 ;;
      esac
      case $pgr_l5 in
        /*) pgr_sock=$pgr_l5 ;;
      esac
      case $pgr_l6 in
        '' | *[!0-9A-Za-z.:*-]*) ;;
        *) pgr_listen=$pgr_l6 ;;
      esac
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
    pgr_semids=$(awk '1 < NR && $4 == 17 { print $2 }' /proc/sysvipc/sem | head -n ${MAX_SEMAPHORE_SETS})
  else
    pgr_warn 'no-proc-sysvipc-sem'
  fi
  if [ -n "$pgr_semids" ]; then
    if pgr_have ipcs; then
      for pgr_s in $pgr_semids; do
        printf '%ssection sem_info semid=%s\n' "$PGR_M" "$pgr_s"
        pgr_out=$(ipcs -s -i "$pgr_s" 2>&1 | awk '{ print "|" $0 }
          $1 == "16" && $5 ~ /^[0-9]+$/ { c = $5 }
          END { print "creator=" c }')
        printf '%s\n' "$pgr_out"
        pgr_extra="$pgr_extra ${"$"}{pgr_out##*creator=}"
      done
    else
      pgr_warn 'tool-missing ipcs: semaphore values and creator PIDs not read'
    fi
  fi

  pgr_section procs
  pgr_procs=$(printf '%s\n' /proc/[0-9]* | awk -v pm="$pgr_pid" -v self="$$" -v extra="$pgr_extra" -v max=${MAX_CANDIDATE_PROCESSES} '
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
    *cands=*) pgr_cands=${"$"}{pgr_procs##*cands=} ;;
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
      tail -c ${LOG_TAIL_BYTES} "$pgr_log" 2>/dev/null | tail -n ${LOG_TAIL_LINES} | pgr_quote
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
  pgr_host=$pgr_sock
  if [ -z "$pgr_host" ]; then
    case $pgr_listen in
      '' | '*') pgr_host=localhost ;;
      *) pgr_host=$pgr_listen ;;
    esac
  fi
  printf 'tool=%s\n' "$pgr_bin"
  if [ -z "$pgr_port" ]; then
    echo 'skipped=no-port'
  elif [ -z "$pgr_bin" ]; then
    pgr_warn 'tool-missing pg_isready'
  else
    printf 'host=%s\n' "$pgr_host"
    printf 'port=%s\n' "$pgr_port"
    pgr_out=$(pgr_bounded "$pgr_bin" -h "$pgr_host" -p "$pgr_port" -t ${PG_ISREADY_TIMEOUT_SEC} 2>&1)
    pgr_status=$?
    printf '%s\n' "$pgr_out" | pgr_quote
    pgr_rc "$pgr_status"
  fi

  printf '%send\n' "$PGR_M"
}

pgr_main </dev/null
`;
