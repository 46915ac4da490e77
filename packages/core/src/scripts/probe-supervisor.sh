# shellcheck shell=sh
# probe-supervisor.sh: who supervises the postmaster, read-only. Sent after lib.sh and supervisor.sh, before
# probe.sh, which calls pgr_supervisor_section once, after its own sections (it may reuse pgr_pid and friends:
# everything probe.sh needs from them is done by then). Only defines that function.
#
# What it reads: /proc/1/comm and the container markers (/.dockerenv, /run/.containerenv, container= in PID 1's
# environment when readable); the cgroup of postmaster.pid's PID and of the probe itself; a Debian cluster whose
# /etc/postgresql/V/NAME/postgresql.conf names this data directory (start.conf, pg_lsclusters); the systemd unit
# (from the cgroup, the Debian cluster, or a unit whose PGDATA= or -D names the data directory) with one
# `systemctl show`, and whether this login may run the ladder's systemctl commands (root, or `sudo -n -l`); a
# Patroni process whose configuration names this data directory, and its REST API (GET /patroni, GET /cluster).
# Every tool call is bounded by PGR_SV_TIMEOUT (supervisor.sh).
#
# Parameters: PGR_PGDATA (probe.sh), PGR_M (lib.sh), PGR_SV_TIMEOUT (supervisor.sh).
# Output: sections supervisor, sv_cgroup (of=postmaster|probe), debian_cluster, pg_lsclusters, systemd_unit,
# patroni, patroni_status, patroni_cluster - grammar in core/src/parsers/supervisor.ts.

# pgr_sv_unit_of_cgroup FILE: the systemd service a /proc/PID/cgroup file names (the innermost *.service).
pgr_sv_unit_of_cgroup() {
  awk -F: '$2 == "" || $2 == "name=systemd" { n = split($3, c, "/"); for (i = n; 0 < i; i--) if (c[i] ~ /\.service$/) { print c[i]; exit } }' "$1" 2>/dev/null | head -n 1
}

# pgr_sv_valid_unit NAME: a unit name that can be passed on without quoting surprises.
pgr_sv_valid_unit() {
  case $1 in
    '' | -* | *[!A-Za-z0-9:_.@-]*) return 1 ;;
    *.service) return 0 ;;
  esac
  return 1
}

# pgr_sv_patroni_argv PID: Patroni's configuration argument when PID runs Patroni (`patroni CONFIG`,
# `python3 /usr/bin/patroni CONFIG`, `python3 -m patroni CONFIG`); non-zero otherwise.
pgr_sv_patroni_argv() {
  tr '\000\n' '\n?' <"/proc/$1/cmdline" 2>/dev/null | head -n 32 | awk '
    { a[NR] = $0; b[NR] = $0; sub(/^.*\//, "", b[NR]) }
    END {
      s = 0
      if (b[1] == "patroni") s = 1
      else if (b[1] ~ /^python/ && b[2] == "patroni") s = 2
      else if (b[1] ~ /^python/ && a[2] == "-m" && a[3] == "patroni") s = 3
      if (s == 0) exit 1
      c = ""
      for (i = s + 1; i <= NR; i++) if (a[i] !~ /^-/) c = a[i]
      print "argv=" c
    }'
}

# pgr_sv_patroni_config FILE: scope, restapi.listen/connect_address/certfile and postgresql.data_dir of a
# Patroni YAML file, as key=value lines.
pgr_sv_patroni_config() {
  awk '
    {
      v = $0
      sub(/^[^:]*:[ \t]*/, "", v)
      sub(/[ \t]+#.*$/, "", v)
      gsub(/^["\047]|["\047]$/, "", v)
    }
    /^[A-Za-z_]/ { top = $0; sub(/:.*$/, "", top); child = -1; if (top == "scope") print "scope=" v; next }
    /^ +[A-Za-z_]+:/ && (top == "restapi" || top == "postgresql") {
      match($0, /^ +/)
      if (child == -1) child = RLENGTH
      if (RLENGTH != child) next
      k = $0
      sub(/^ +/, "", k)
      sub(/:.*$/, "", k)
      if (top == "restapi" && (k == "listen" || k == "connect_address" || k == "certfile")) print "restapi_" k "=" v
      if (top == "postgresql" && k == "data_dir") print "data_dir=" v
    }' "$1" 2>/dev/null | pgr_sv_clean
}

# pgr_sv_patroni_env PID: Patroni's own environment overrides (PATRONI_*), when readable (same user or root).
pgr_sv_patroni_env() {
  tr '\000' '\n' <"/proc/$1/environ" 2>/dev/null | awk -F= '
    $1 == "PATRONI_SCOPE" { print "scope=" substr($0, 15) }
    $1 == "PATRONI_RESTAPI_LISTEN" { print "restapi_listen=" substr($0, 24) }
    $1 == "PATRONI_RESTAPI_CONNECT_ADDRESS" { print "restapi_connect_address=" substr($0, 33) }
    $1 == "PATRONI_RESTAPI_CERTFILE" { print "restapi_certfile=" substr($0, 26) }
    $1 == "PATRONI_POSTGRESQL_DATA_DIR" { print "data_dir=" substr($0, 29) }' | pgr_sv_clean
}

# pgr_sv_field TEXT KEY: the last KEY=value of key=value lines.
pgr_sv_field() {
  printf '%s\n' "$1" | awk -v k="$2" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }'
}

pgr_supervisor_section() {
  pgr_emit "section supervisor"
  pgr_sv_real=$(cd "$PGR_PGDATA" 2>/dev/null && pwd -P)
  pgr_sv_pid1=
  { IFS= read -r pgr_sv_pid1 <"/proc/1/comm"; } 2>/dev/null
  printf 'pid1_comm=%s\n' "$pgr_sv_pid1" | pgr_sv_clean
  if [ -d /run/systemd/system ]; then echo 'systemd_booted=1'; else echo 'systemd_booted=0'; fi
  pgr_sv_marks=
  if [ -e /.dockerenv ]; then pgr_sv_marks="$pgr_sv_marks dockerenv"; fi
  if [ -e /run/.containerenv ]; then pgr_sv_marks="$pgr_sv_marks containerenv"; fi
  printf 'container_markers=%s\n' "$pgr_sv_marks"
  if [ -r /proc/1/environ ]; then
    tr '\000' '\n' </proc/1/environ 2>/dev/null | awk -F= '$1 == "container" { print "pid1_container_env=" substr($0, 11); exit }' | pgr_sv_clean
  else
    echo 'pid1_environ=unreadable'
  fi
  pgr_read_pidfile "$PGR_PGDATA/postmaster.pid"
  pgr_sv_pm=
  if [ -n "$pgr_pid" ] && [ -r "/proc/$pgr_pid/cgroup" ]; then pgr_sv_pm=$pgr_pid; fi
  printf 'pm_pid=%s\n' "$pgr_sv_pm"
  if [ -n "$pgr_sv_pm" ] && [ -r "/proc/$pgr_sv_pm/environ" ]; then
    tr '\000' '\n' <"/proc/$pgr_sv_pm/environ" 2>/dev/null | awk -F= '
      $1 == "container" { print "pm_container_env=" substr($0, 11) }
      $1 == "KUBERNETES_SERVICE_HOST" { print "pm_kubernetes=1" }' | pgr_sv_clean
  fi
  if [ -e "$PGR_PGDATA/patroni.dynamic.json" ]; then echo 'patroni_files=1'; fi
  pgr_sv_have_ctl=
  if pgr_have systemctl; then pgr_sv_have_ctl=1; fi
  printf 'systemctl=%s\n' "$(command -v systemctl 2>/dev/null)"

  pgr_sv_unit=
  pgr_sv_src=
  if [ -n "$pgr_sv_pm" ]; then
    pgr_emit "section sv_cgroup of=postmaster pid=$pgr_sv_pm"
    head -c 4096 "/proc/$pgr_sv_pm/cgroup" 2>/dev/null | pgr_quote
    pgr_sv_unit=$(pgr_sv_unit_of_cgroup "/proc/$pgr_sv_pm/cgroup")
    if [ -n "$pgr_sv_unit" ]; then pgr_sv_src=cgroup; fi
  fi
  pgr_emit "section sv_cgroup of=probe pid=$$"
  head -c 4096 /proc/self/cgroup 2>/dev/null | pgr_quote

  pgr_sv_cluster=
  if [ -d /etc/postgresql ]; then
    pgr_sv_cluster=$(awk -v d="$PGR_PGDATA" -v r="$pgr_sv_real" '
      /^[ \t]*data_directory[ \t]*=/ {
        v = $0
        if (!match(v, /\047[^\047]*\047/)) next
        v = substr(v, RSTART + 1, RLENGTH - 2)
        if (v == "" || (v != d && v != r)) next
        n = split(FILENAME, p, "/")
        print p[n - 2] " " p[n - 1]
        exit
      }' /etc/postgresql/*/*/postgresql.conf 2>/dev/null)
  fi
  case $pgr_sv_cluster in
    *[!A-Za-z0-9._\ -]* | *' '*' '*) pgr_sv_cluster= ;;
  esac
  if [ -n "$pgr_sv_cluster" ]; then
    pgr_sv_ver=${pgr_sv_cluster%% *}
    pgr_sv_name=${pgr_sv_cluster#* }
    pgr_emit "section debian_cluster"
    printf 'version=%s\nname=%s\nconf_dir=%s\n' "$pgr_sv_ver" "$pgr_sv_name" "/etc/postgresql/$pgr_sv_ver/$pgr_sv_name"
    printf 'start_conf=%s\n' "$(awk '!/^[ \t]*(#|$)/ { print $1; exit }' "/etc/postgresql/$pgr_sv_ver/$pgr_sv_name/start.conf" 2>/dev/null)" | pgr_sv_clean
    printf 'unit=%s\n' "postgresql@$pgr_sv_ver-$pgr_sv_name.service"
    if pgr_have pg_lsclusters; then
      pgr_emit "section pg_lsclusters"
      pgr_out=$(pgr_sv_bounded pg_lsclusters -h 2>&1)
      pgr_status=$?
      printf '%s\n' "$pgr_out" | head -n 64 | pgr_quote
      pgr_emit "rc $pgr_status"
    fi
    if [ -z "$pgr_sv_unit" ]; then
      pgr_sv_unit=postgresql@$pgr_sv_ver-$pgr_sv_name.service
      pgr_sv_src=debian-cluster
    fi
  fi
  if [ -z "$pgr_sv_unit" ] && [ -d /run/systemd/system ] && [ -n "$pgr_sv_have_ctl" ]; then
    pgr_sv_unit=$(pgr_sv_bounded systemctl show -p Id -p Environment -p ExecStart -- 'postgresql*.service' 2>/dev/null | awk -v d="$PGR_PGDATA" -v r="$pgr_sv_real" '
      /^Id=/ { id = substr($0, 4) }
      /^Environment=/ { n = split(substr($0, 13), w, " "); for (i = 1; i <= n; i++) if (index(w[i], "PGDATA=") == 1) { v = substr(w[i], 8); if (v != "" && (v == d || v == r)) m = 1 } }
      /^ExecStart=/ { n = split($0, w, " "); for (i = 1; i < n; i++) if (w[i] == "-D" && (w[i + 1] == d || w[i + 1] == r)) m = 1 }
      /^$/ { if (m && id != "") { print id; done = 1; exit } m = 0; id = "" }
      END { if (!done && m && id != "") print id }')
    if [ -n "$pgr_sv_unit" ]; then pgr_sv_src=search; fi
  fi
  if [ -n "$pgr_sv_unit" ] && ! pgr_sv_valid_unit "$pgr_sv_unit"; then
    pgr_emit "warn supervisor-unit-name-unusable"
    pgr_sv_unit=
  fi
  if [ -n "$pgr_sv_unit" ] && [ -n "$pgr_sv_have_ctl" ]; then
    pgr_emit "section systemd_unit unit=$pgr_sv_unit source=$pgr_sv_src"
    pgr_out=$(pgr_unit_show "$pgr_sv_unit" Id LoadState ActiveState SubState MainPID Result Restart RestartUSec NRestarts TimeoutStopUSec Type KillMode KillSignal ExecStart ExecStop DropInPaths FragmentPath UnitFileState ControlGroup Job)
    pgr_status=$?
    printf '%s\n' "$pgr_out" | head -n 64 | pgr_quote
    pgr_emit "rc $pgr_status"
    pgr_sv_ctl=$(command -v systemctl 2>/dev/null)
    if [ "$(id -u 2>/dev/null)" = 0 ]; then
      echo 'control=root'
    elif pgr_have sudo; then
      pgr_sv_ok=
      for pgr_v in stop start reset-failed mask unmask; do
        case $pgr_v in
          mask | unmask) set -- "$pgr_v" --runtime ;;
          *) set -- "$pgr_v" ;;
        esac
        if pgr_sv_bounded sudo -n -l "$pgr_sv_ctl" "$@" "$pgr_sv_unit" >/dev/null 2>&1; then
          pgr_sv_ok="$pgr_sv_ok $pgr_v"
        fi
      done
      if [ -n "$pgr_sv_ok" ]; then echo 'control=sudo'; else echo 'control=none'; fi
      printf 'sudo_allowed=%s\n' "$pgr_sv_ok"
    else
      echo 'control=none'
      echo 'sudo=missing'
    fi
  fi

  pgr_sv_best=
  pgr_sv_match=
  pgr_sv_n=0
  for pgr_f in $(grep -l -x -E 'patroni|python[0-9.]*' /proc/[0-9]*/comm 2>/dev/null | head -n 64); do
    pgr_p=${pgr_f#/proc/}
    pgr_p=${pgr_p%/comm}
    pgr_sv_argv=$(pgr_sv_patroni_argv "$pgr_p") || continue
    pgr_sv_n=$((pgr_sv_n + 1))
    pgr_sv_conf=${pgr_sv_argv#argv=}
    case $pgr_sv_conf in
      '' | /*) ;;
      *) pgr_sv_conf=$(readlink "/proc/$pgr_p/cwd" 2>/dev/null)/$pgr_sv_conf ;;
    esac
    pgr_sv_facts=
    if [ -n "$pgr_sv_conf" ] && [ -r "$pgr_sv_conf" ]; then pgr_sv_facts=$(pgr_sv_patroni_config "$pgr_sv_conf"); fi
    pgr_sv_envf=$(pgr_sv_patroni_env "$pgr_p")
    pgr_sv_facts=$(printf '%s\n%s\n' "$pgr_sv_facts" "$pgr_sv_envf")
    pgr_sv_dir=$(pgr_sv_field "$pgr_sv_facts" data_dir)
    if [ -n "$pgr_sv_dir" ] && { [ "$pgr_sv_dir" = "$PGR_PGDATA" ] || [ "$pgr_sv_dir" = "$pgr_sv_real" ] || [ "$(cd "$pgr_sv_dir" 2>/dev/null && pwd -P)" = "$pgr_sv_real" ]; }; then
      pgr_sv_best=$pgr_p
      pgr_sv_match=data_dir
      pgr_sv_bconf=$pgr_sv_conf
      pgr_sv_bfacts=$pgr_sv_facts
      break
    fi
    if [ -z "$pgr_sv_dir" ] && [ -z "$pgr_sv_best" ]; then
      pgr_sv_best=$pgr_p
      pgr_sv_match=unknown
      pgr_sv_bconf=$pgr_sv_conf
      pgr_sv_bfacts=$pgr_sv_facts
    fi
  done
  if [ "$pgr_sv_match" = unknown ] && [ "$pgr_sv_n" != 1 ]; then pgr_sv_best=; fi
  if [ -n "$pgr_sv_best" ]; then
    pgr_emit "section patroni"
    printf 'pid=%s\n' "$pgr_sv_best"
    awk '{ sub(/^.*\) /, ""); print "ticks=" $20 }' "/proc/$pgr_sv_best/stat" 2>/dev/null
    printf 'candidates=%s\nmatch=%s\n' "$pgr_sv_n" "$pgr_sv_match"
    printf 'config=%s\n' "$pgr_sv_bconf" | pgr_sv_clean
    if [ -n "$pgr_sv_bconf" ] && [ -r "$pgr_sv_bconf" ]; then echo 'config_readable=1'; else echo 'config_readable=0'; fi
    printf '%s\n' "$pgr_sv_bfacts" | awk 'NF'
    printf 'patronictl=%s\n' "$(command -v patronictl 2>/dev/null)"
    pgr_sv_listen=$(pgr_sv_field "$pgr_sv_bfacts" restapi_listen)
    pgr_sv_port=${pgr_sv_listen##*:}
    pgr_sv_host=${pgr_sv_listen%:*}
    case $pgr_sv_port in '' | *[!0-9]*) pgr_sv_port=8008 ;; esac
    case $pgr_sv_host in
      '' | '*' | 0.0.0.0 | '::' | '[::]' | "$pgr_sv_listen" | *[!0-9A-Za-z.-]*) pgr_sv_host=127.0.0.1 ;;
    esac
    pgr_sv_scheme=http
    if [ -n "$(pgr_sv_field "$pgr_sv_bfacts" restapi_certfile)" ]; then pgr_sv_scheme=https; fi
    pgr_sv_url=$pgr_sv_scheme://$pgr_sv_host:$pgr_sv_port
    printf 'rest=%s\n' "$pgr_sv_url"
    # shellcheck disable=SC2154 # pgr_http is set by supervisor.sh's pgr_http_client
    if pgr_http_client; then
      printf 'client=%s\n' "$pgr_http"
      for pgr_v in patroni cluster; do
        pgr_emit "section patroni_$pgr_v"
        pgr_out=$(pgr_http_get "$pgr_sv_url/$pgr_v" 2>&1)
        pgr_status=$?
        printf '%s\n' "$pgr_out" | head -c 65536 | pgr_quote
        pgr_emit "rc $pgr_status"
        # An API that does not answer the first GET would make the second wait as long again.
        [ "$pgr_status" = 0 ] || break
      done
    else
      echo 'client='
    fi
  elif [ "$pgr_sv_n" != 0 ]; then
    pgr_emit "section patroni"
    printf 'candidates=%s\nmatch=none\n' "$pgr_sv_n"
  fi
}
