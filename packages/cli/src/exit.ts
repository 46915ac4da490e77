// Exit codes and the result every CLI command returns (printing happens once, in main.ts).
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export type TCommandResult = { exitCode: number; stdout: string; stderr?: string };
