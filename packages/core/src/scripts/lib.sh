# shellcheck shell=sh
# lib.sh: the routines the probe and every action script share. The renderer sends
# prelude + lib.sh + probe.sh (or action.sh) as one script to `sh -s`; this file only defines
# functions, nothing runs here.
#
# Parameters (set by the prelude): PGR_M, the marker that starts every structural output line;
# PGR_TOOL_TIMEOUT, the hard limit in seconds around tools that can hang (pg_controldata,
# pg_isready, psql).
#
# Rules for every .sh file here: POSIX sh only (checked with shellcheck -s sh, parsed by dash,
# bash --posix and busybox sh); functions only, apart from the one `pgr_main </dev/null` at the
# end of probe.sh and action.sh (a truncated delivery runs nothing, and no command can eat the
# rest of the script from sh -s's stdin); awk programs avoid `>` (the read-only scanner treats it
# as output redirection); tool output is quoted with `|` so that it can never forge a marker line.

# pgr_emit WORDS: one structural line.
pgr_emit() { printf '%s%s\n' "$PGR_M" "$*"; }
# Tool output as content lines: NUL bytes dropped, every line prefixed with `|`.
pgr_quote() { tr -d '\000' | awk '{ print "|" $0 }'; }
pgr_have() { command -v "$1" >/dev/null 2>&1; }
# pgr_bounded COMMAND...: bounded by coreutils' timeout where it exists.
pgr_bounded() {
  if pgr_have timeout; then timeout "$PGR_TOOL_TIMEOUT" "$@"; else "$@"; fi
}

# pgr_init_env [VARIABLE...]: the C locale (messages are parsed), the system directories first
# in PATH, and these variables unset (libpq and pg_ctl would read them).
pgr_init_env() {
  LC_ALL=C
  LANG=C
  export LC_ALL LANG
  unset LANGUAGE "$@"
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
  export PATH
}

# pgr_read_pidfile FILE: the fields of a postmaster.pid that locate the server, each validated or
# empty. Sets pgr_pid (line 1; a standalone backend writes it negated), pgr_port (line 4),
# pgr_sock (line 5, the first socket directory), pgr_listen (line 6, the first listen address) and
# pgr_host (where a client connects: the socket directory, else the listen address, else localhost).
# shellcheck disable=SC2034 # the results are read by probe.sh and action.sh
pgr_read_pidfile() {
  pgr_l1=
  pgr_l4=
  pgr_l5=
  pgr_l6=
  {
    IFS= read -r pgr_l1
    IFS= read -r _
    IFS= read -r _
    IFS= read -r pgr_l4
    IFS= read -r pgr_l5
    IFS= read -r pgr_l6
  } 2>/dev/null <"$1"
  pgr_pid=
  pgr_port=
  pgr_sock=
  pgr_listen=
  case $pgr_l1 in
    -*) pgr_l1=${pgr_l1#-} ;;
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
  pgr_host=$pgr_sock
  if [ -z "$pgr_host" ]; then
    case $pgr_listen in
      '' | '*') pgr_host=localhost ;;
      *) pgr_host=$pgr_listen ;;
    esac
  fi
}
