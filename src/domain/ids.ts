/** Row ids are PostgreSQL bigints, handled as decimal strings. */
const MAX_BIGINT = 9223372036854775807n;

/** Is `value` a positive id that fits a bigint column (so a query on it cannot fail)? */
export function isRowId(value: unknown): value is string {
  return typeof value === "string" && /^[1-9]\d{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}
