// Expected failures of the services, each with a message a DBA can act on; trpc.ts maps them to tRPC codes.
export type TServiceErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "BAD_REQUEST"
  | "FORBIDDEN"
  | "PRECONDITION_FAILED"
  | "UNAUTHORIZED"
  | "TOO_MANY_REQUESTS";

export class ServiceError extends Error {
  constructor(
    readonly code: TServiceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export function notFound(what: string, id: string): ServiceError {
  return new ServiceError("NOT_FOUND", `${what} ${id} does not exist`);
}
