import { describe, expect, it } from "vitest";
import { scanShellForStateChanges } from "./scan-read-only.ts";

const rules = (script: string): string[] => scanShellForStateChanges(script).map((f) => f.rule);

describe("scanShellForStateChanges", () => {
  it.each([
    ["kill -9 4242", "command kill"],
    ["ipcs -s | awk '{print $2}' | xargs ipcrm -s", "command xargs"],
    ["ipcrm -m 5", "command ipcrm"],
    ["rm -f /tmp/x", "command rm"],
    ["mv a b", "command mv"],
    ["echo x | tee /tmp/y", "command tee"],
    ["pg_ctl stop -D /d -m fast", "command pg_ctl"],
    ["x=$(pg_ctl start -D /d)", "command pg_ctl"],
    ["if true; then mkdir /x; fi", "command mkdir"],
    ["sed -n 1p /etc/passwd", "command sed"],
    ["find / -delete", "command find"],
    ["sudo -n true", "command sudo"],
    ['eval "$cmd"', "command eval"],
    [". /etc/profile", "dot (source) command"],
    ["do . ./x.sh; done", "dot (source) command"],
  ])("flags %j", (script, rule) => {
    expect(rules(script)).toContain(rule);
  });

  it.each([
    ["echo x > /tmp/y", "redirection > /tmp/y"],
    ["echo x >> /tmp/y", "redirection >> /tmp/y"],
    ["echo x >/tmp/y", "redirection >/tmp/y"],
    ["echo x 2>/tmp/err", "redirection 2>/tmp/err"],
    ["exec 3<>/tmp/f", "redirection 3<>/tmp/f"],
    ["echo x >| /tmp/y", "redirection >| /tmp/y"],
    ['echo x > "$file"', 'redirection > "$file"'],
  ])("flags the output redirection in %j", (script, rule) => {
    expect(rules(script)).toContain(rule);
  });

  it("allows redirections to /dev/null and between descriptors", () => {
    expect(rules("command -v ipcs >/dev/null 2>&1; x 2>/dev/null; y 1>&2; z >&2")).toEqual([]);
  });

  it("allows input redirection", () => {
    expect(rules('IFS= read -r line <"$PGR_PGDATA/PG_VERSION"')).toEqual([]);
  });

  it("does not read commands inside single-quoted literals as commands", () => {
    expect(rules("printf '%s\\n' 'kill rm ipcrm are just words here'")).toEqual([]);
  });

  it("ignores comments", () => {
    expect(rules("# we never kill or rm anything\ntrue")).toEqual([]);
  });

  it.each([
    ["awk '{ system(\"kill 1\") }'", "awk system()"],
    ["awk '{ print | \"sh\" }'", "awk command pipe"],
    ["awk 'BEGIN { \"date\" | getline d }'", "awk command pipe"],
    ["awk '{ print > \"/tmp/out\" }'", "output redirection inside a literal"],
    ["awk '{ print $0 >> f }'", "output redirection inside a literal"],
  ])("flags awk programs that run commands or write files: %j", (script, rule) => {
    expect(rules(script)).toContain(rule);
  });

  it("allows awk programs that only print, compare with < and match alternations", () => {
    const program = `awk '0 < NR && $2 ~ /postgres|postmaster/ { print "|" $0 } END { if (n || m) print "x" }'`;
    expect(rules(program)).toEqual([]);
  });

  it.each([
    "systemctl show -p MainPID -- postgresql@15-main.service",
    'pgr_sv_bounded systemctl show $pgr_u_props -- "$pgr_u_unit" 2>&1',
    'pgr_sv_bounded sudo -n -l "$pgr_sv_ctl" stop "$pgr_sv_unit" >/dev/null 2>&1',
    'pgr_sv_bounded curl -sS -k -m "$PGR_SV_TIMEOUT" "$1" ;;',
    'pgr_sv_bounded wget -q -O - --no-check-certificate -T "$PGR_SV_TIMEOUT" "$1" ;;',
    "if pgr_have systemctl; then x=1; fi",
    'printf "%s" "$(command -v sudo 2>/dev/null)"',
    "pgr_sv_bounded python3 -I -S -c 'import sys, ssl, urllib.request as u\nsys.stdout.write(u.urlopen(sys.argv[1]).read().decode())' \"$1\"",
  ])("allows the supervisor look's read-only forms: %j", (script) => {
    expect(rules(script)).toEqual([]);
  });

  it.each([
    ["systemctl stop postgresql@15-main.service", "command systemctl"],
    ["systemctl show x; systemctl restart x", "command systemctl"],
    ["sudo -n systemctl start x", "command sudo"],
    ['curl -sS -k -m "$PGR_SV_TIMEOUT" "$1" -o /etc/passwd', "command curl"],
    ["curl -X PATCH -d '{\"pause\":true}' http://127.0.0.1:8008/config", "command curl"],
    ["wget http://127.0.0.1:8008/patroni", "command wget"],
    ["python3 -c 'print(1)'", "command python3"],
    ["python3 -I -S -c 'import os\nos.remove(\"/x\")'", "python import os"],
    ["python3 -I -S -c 'import sys\nopen(sys.argv[1], \"w\")'", "python open"],
    [
      "python3 -I -S -c 'import sys, urllib.request as u\nu.urlopen(u.Request(sys.argv[1], data=b\"x\"))'",
      "python Request",
    ],
    [
      'python3 -I -S -c \'import sys\nsys.modules["io"].FileIO("/x", "w").write(b"")\'',
      "python io",
    ],
  ])("flags %j, which could change the host", (script, rule) => {
    expect(rules(script)).toContain(rule);
  });

  it("reports the line of each finding", () => {
    const findings = scanShellForStateChanges("true\nfalse\nkill 1\n");
    expect(findings).toEqual([{ line: 3, rule: "command kill", text: "kill 1" }]);
  });
});
