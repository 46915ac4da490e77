// Public API of @pgrescue/core: pure domain logic (probe script, parsers, diagnosis).
export * from "./shell/quote.ts";
export * from "./shell/scan-read-only.ts";
export * from "./probe/probe-script.ts";
export * from "./probe/probe-output.ts";
export * from "./parsers/pid-file.ts";
export * from "./parsers/proc-stat.ts";
export * from "./parsers/proc-records.ts";
export * from "./parsers/process-title.ts";
export * from "./parsers/sysv-ipc.ts";
export * from "./parsers/control-data.ts";
export * from "./parsers/pg-isready.ts";
export * from "./diagnosis/snapshot-schema.ts";
export * from "./diagnosis/identify.ts";
export * from "./diagnosis/verdict.ts";
export * from "./diagnosis/diagnose.ts";
export * from "./diagnosis/material-facts.ts";
export * from "./diagnosis/format-report.ts";
