/** Errors the domain raises; each edge maps `kind` to its own status codes. */
export type DomainErrorKind = "invalid" | "not_found" | "conflict" | "forbidden" | "unauthorized" | "gone";

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  constructor(kind: DomainErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** A domain error that also names why, for edges that say it in their own words (and language). */
export class ReasonedError<Reason extends string> extends DomainError {
  readonly reason: Reason;
  constructor(kind: DomainErrorKind, reason: Reason, message: string) {
    super(kind, message);
    this.reason = reason;
  }
}

export const invalid = (message: string) => new DomainError("invalid", message);
export const notFound = (message = "Record not found") => new DomainError("not_found", message);
export const conflict = (message: string) => new DomainError("conflict", message);
export const forbidden = (message = "This action is not allowed") => new DomainError("forbidden", message);
