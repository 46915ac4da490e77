// Denylist scan proving a shell script contains no state-changing command or output redirection.

export type TScanFinding = { line: number; rule: string; text: string };

type TSegment = { kind: "code" | "single"; text: string; line: number };

/**
 * Split a POSIX sh script into code (unquoted and double-quoted text, where commands and
 * redirections live) and single-quoted literals (awk programs, interpolated values).
 * Comments are dropped.
 */
function splitSegments(script: string): TSegment[] {
  const segments: TSegment[] = [];
  let line = 1;
  let code = "";
  let codeLine = 1;
  let i = 0;
  const flush = (): void => {
    if (code !== "") segments.push({ kind: "code", text: code, line: codeLine });
    code = "";
    codeLine = line;
  };
  while (i < script.length) {
    const ch = script.charAt(i);
    if (ch === "\\") {
      code += script.slice(i, i + 2);
      if (script.charAt(i + 1) === "\n") line++;
      i += 2;
      continue;
    }
    if (ch === "'") {
      flush();
      const end = script.indexOf("'", i + 1);
      const stop = end === -1 ? script.length : end;
      const text = script.slice(i + 1, stop);
      segments.push({ kind: "single", text, line });
      line += text.split("\n").length - 1;
      code = "''";
      codeLine = line;
      i = stop + 1;
      continue;
    }
    if (ch === "#" && (code === "" || /[\s;&|(]$/.test(code))) {
      const end = script.indexOf("\n", i);
      i = end === -1 ? script.length : end;
      continue;
    }
    if (ch === "\n") line++;
    code += ch;
    i++;
  }
  flush();
  return segments;
}

const DENIED_COMMANDS = [
  "kill",
  "pkill",
  "killall",
  "rm",
  "rmdir",
  "ipcrm",
  "mv",
  "cp",
  "tee",
  "dd",
  "truncate",
  "touch",
  "mkdir",
  "mktemp",
  "mkfifo",
  "mknod",
  "ln",
  "chmod",
  "chown",
  "chgrp",
  "install",
  "shred",
  "unlink",
  "sed",
  "xargs",
  "find",
  "pg_ctl",
  "pg_ctlcluster",
  "pg_resetwal",
  "pg_resetxlog",
  "pg_rewind",
  "psql",
  "postgres",
  "postmaster",
  "sudo",
  "su",
  "runuser",
  "nohup",
  "setsid",
  "eval",
  "exec",
  "source",
  "crontab",
  "systemctl",
  "service",
  "renice",
  "ionice",
  "taskset",
  "prlimit",
  "gdb",
  "strace",
  "perl",
  "python",
  "python3",
];

const COMMAND_WORD = new RegExp(
  `(^|[\\s;&|(\`{])(${DENIED_COMMANDS.join("|")})(?=$|[\\s;&|)\`}])`,
  "gm",
);
const DOT_COMMAND = /(^|[;&|(]|\bthen|\bdo|\belse)\s*\.\s+\S/gm;
const REDIRECT = /(\d*)(>>|>\||<>|>&|>)\s*([^\s;&|)]*)/g;

function scanCode(segment: TSegment, findings: TScanFinding[]): void {
  const lines = segment.text.split("\n");
  lines.forEach((text, offset) => {
    const line = segment.line + offset;
    for (const m of text.matchAll(COMMAND_WORD)) {
      findings.push({ line, rule: `command ${m[2] ?? ""}`, text: text.trim() });
    }
    if (DOT_COMMAND.test(text))
      findings.push({ line, rule: "dot (source) command", text: text.trim() });
    DOT_COMMAND.lastIndex = 0;
    for (const m of text.matchAll(REDIRECT)) {
      const op = m[2] ?? "";
      const target = m[3] ?? "";
      const fdDuplication = op === ">&" && /^\d$/.test(target);
      const toNull = op === ">" && target === "/dev/null";
      if (!fdDuplication && !toNull) {
        findings.push({ line, rule: `redirection ${m[0].trim()}`, text: text.trim() });
      }
    }
  });
}

/** Drop the contents of "…" strings inside a single-quoted program (awk), keeping the quotes. */
function blankStrings(program: string): string {
  return program.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function scanLiteral(segment: TSegment, findings: TScanFinding[]): void {
  const program = blankStrings(segment.text);
  const rules: [RegExp, string][] = [
    [/\bsystem\s*\(/, "awk system()"],
    [/\|\s*("|getline\b)/, "awk command pipe"],
    [/\|&/, "awk coprocess"],
    [/>/, "output redirection inside a literal"],
  ];
  for (const [pattern, rule] of rules) {
    const at = program.search(pattern);
    if (at >= 0) {
      const line = segment.line + program.slice(0, at).split("\n").length - 1;
      findings.push({
        line,
        rule,
        text: segment.text.split("\n")[line - segment.line]?.trim() ?? "",
      });
    }
  }
}

/**
 * Scan a script for anything that could change the host: denied commands anywhere in code,
 * output redirections other than to /dev/null or between descriptors, `sed` (its w/e commands),
 * and awk programs that run commands or write files. Conservative by design: a false positive
 * means rewording the script, a false negative would mean a diagnosis that changes the host.
 */
export function scanShellForStateChanges(script: string): TScanFinding[] {
  const findings: TScanFinding[] = [];
  for (const segment of splitSegments(script)) {
    if (segment.kind === "code") scanCode(segment, findings);
    else scanLiteral(segment, findings);
  }
  return findings;
}
