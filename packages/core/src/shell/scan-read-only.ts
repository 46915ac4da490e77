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
  "curl",
  "wget",
];

/**
 * The read-only forms in which a denied command may appear (the probe's look at the supervisor): what must
 * follow the command word, up to the end of that piece of code. Anything else stays a finding.
 */
const READ_ONLY_FORMS: Readonly<Record<string, RegExp>> = {
  // `systemctl show` only prints properties.
  systemctl: /^\s+show\s/,
  // `sudo -n -l CMD…` asks whether CMD would be allowed without a password; it never runs it.
  sudo: /^\s+-n\s+-l\s/,
  // A GET to stdout, exactly as supervisor.sh writes it (no -o/-O/-d/-X/-T can hide in it).
  curl: /^\s+-sS\s+-k\s+-m\s+"\$PGR_SV_TIMEOUT"\s+"\$1"\s*(;|$)/,
  wget: /^\s+-q\s+-O\s+-\s+--no-check-certificate\s+-T\s+"\$PGR_SV_TIMEOUT"\s+"\$1"\s*(;|$)/,
  // An isolated interpreter whose program is the single-quoted literal right after -c: checked by
  // scanPythonGet below.
  python3: /^\s+-I\s+-S\s+-c\s+$/,
};

/** A denied word only looked up (`pgr_have WORD`, `command -v WORD`), not run. */
const LOOKUP_BEFORE = /(?:\bpgr_have|\bcommand\s+-v)\s+$/;

const COMMAND_WORD = new RegExp(
  `(^|[\\s;&|(\`{])(${DENIED_COMMANDS.join("|")})(?=$|[\\s;&|)\`}])`,
  "gm",
);
const DOT_COMMAND = /(^|[;&|(]|\bthen|\bdo|\belse)\s*\.\s+\S/gm;
const REDIRECT = /(\d*)(>>|>\||<>|>&|>)\s*([^\s;&|)]*)/g;

/** Scans one piece of code; true when it ends by handing a literal program to `python3 -I -S -c`. */
function scanCode(segment: TSegment, findings: TScanFinding[]): boolean {
  const lines = segment.text.split("\n");
  let pythonNext = false;
  lines.forEach((text, offset) => {
    const line = segment.line + offset;
    for (const m of text.matchAll(COMMAND_WORD)) {
      const word = m[2] ?? "";
      const start = m.index + (m[1] ?? "").length;
      const after = text.slice(start + word.length);
      if (LOOKUP_BEFORE.test(text.slice(0, start))) continue;
      const form = READ_ONLY_FORMS[word];
      const last = offset === lines.length - 1;
      if (form?.test(after) === true && (word !== "python3" || last)) {
        pythonNext = word === "python3";
        continue;
      }
      findings.push({ line, rule: `command ${word}`, text: text.trim() });
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
  return pythonNext;
}

/** Modules a GET program may import, and everything else a Python program must not mention. */
const PYTHON_MODULES = new Set(["sys", "ssl", "urllib.request"]);
const PYTHON_DENIED =
  /\b(open|os|subprocess|exec|eval|compile|__import__|shutil|socket|pathlib|io|system|remove|unlink|rename|Request|data|method|globals|getattr|setattr)\b|>/;

/**
 * A Python program given to `python3 -I -S -c`: it may import only sys, ssl and urllib.request, write only to
 * sys.stdout and sys.stderr, and name nothing that opens files, runs commands or sends a body.
 */
function scanPythonGet(segment: TSegment, findings: TScanFinding[]): void {
  const program = segment.text;
  const problems: string[] = [];
  for (const m of program.matchAll(/(?:^|;)\s*import\s+([^;\n]+)/gm)) {
    for (const item of (m[1] ?? "").split(",")) {
      const module = item.trim().split(/\s+as\s+/)[0] ?? "";
      if (!PYTHON_MODULES.has(module)) problems.push(`python import ${module}`);
    }
  }
  if (/(?:^|;)\s*from\s/m.test(program)) problems.push("python from-import");
  const denied = PYTHON_DENIED.exec(program);
  if (denied !== null) problems.push(`python ${denied[0]}`);
  for (const m of program.matchAll(/([\w.]+)\.write\s*\(/g)) {
    if (m[1] !== "sys.stdout" && m[1] !== "sys.stderr") problems.push(`python ${m[1] ?? ""}.write`);
  }
  for (const rule of problems) findings.push({ line: segment.line, rule, text: program.trim() });
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
 * Scan a script for anything that could change the host: denied commands anywhere in code (except their
 * read-only forms: `systemctl show`, `sudo -n -l`, the GET of supervisor.sh, and lookups with `command -v`),
 * output redirections other than to /dev/null or between descriptors, `sed` (its w/e commands),
 * and awk programs that run commands or write files. Conservative by design: a false positive
 * means rewording the script, a false negative would mean a diagnosis that changes the host.
 */
export function scanShellForStateChanges(script: string): TScanFinding[] {
  const findings: TScanFinding[] = [];
  let python = false;
  for (const segment of splitSegments(script)) {
    if (segment.kind === "code") {
      python = scanCode(segment, findings);
    } else {
      if (python) scanPythonGet(segment, findings);
      else scanLiteral(segment, findings);
      python = false;
    }
  }
  return findings;
}
