/**
 * When an event is: instants (what is stored and sent) planned in an IANA
 * time zone (what people read), with @js-temporal/polyfill.
 */
import { Temporal } from "@js-temporal/polyfill";
import { invalid } from "../../domain/errors.ts";

/** The time zone of an event that names none (remote servers that send only instants). */
export const DEFAULT_TIME_ZONE = "UTC";

/** Years an event may be in: anything else is a typing error or a hostile value. */
const FIRST_YEAR = 1900;
const LAST_YEAR = 9999;

const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]{0,30}(\/[A-Za-z0-9_+-]{1,30}){0,3}$/;

/** The canonical id of an IANA time zone (`europe/amsterdam` → `Europe/Amsterdam`), or null: offsets are no time zones. */
export function ianaTimeZone(value: string): string | null {
  if (!ZONE_SHAPE.test(value)) return null;
  try {
    return Temporal.Now.zonedDateTimeISO(value).timeZoneId;
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** A moment as a request gives it: with an offset (an instant), or a wall-clock time in the event's time zone. */
export type TimeInput = { instant: string } | { local: string };

const WITH_OFFSET = /T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/** Reads a time parameter's shape (its meaning needs the time zone: `resolveTime`). */
export function timeInput(name: string, value: string): TimeInput {
  const v = value.trim();
  if (v.length <= 40 && WITH_OFFSET.test(v)) return { instant: v };
  if (LOCAL.test(v)) return { local: v };
  throw invalid(`${name} must be a date and time, like 2030-05-01T10:00 (in time_zone) or 2030-05-01T10:00:00+02:00`);
}

function inRange(name: string, instant: Temporal.Instant): Date {
  const year = instant.toZonedDateTimeISO("UTC").year;
  if (year < FIRST_YEAR || year > LAST_YEAR) throw invalid(`${name} must be between the years ${FIRST_YEAR} and ${LAST_YEAR}`);
  return new Date(instant.epochMilliseconds);
}

/** The instant a time parameter means in `timeZone`; a wall-clock time a clock change skips or repeats is refused. */
export function resolveTime(name: string, input: TimeInput, timeZone: string): Date {
  try {
    if ("instant" in input) return inRange(name, Temporal.Instant.from(input.instant));
    const local = Temporal.PlainDateTime.from(input.local);
    return inRange(name, local.toZonedDateTime(timeZone, { disambiguation: "reject" }).toInstant());
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    if ("local" in input) throw invalid(`${name}: ${input.local} does not exist once in ${timeZone} (a clock change), or is no date`);
    throw invalid(`${name} is not a valid date and time`);
  }
}

/** A remote event's instant, if it is one an event may be at. */
export function remoteInstant(value: { epochMilliseconds: number } | null | undefined): Date | null {
  if (!value) return null;
  const ms = value.epochMilliseconds;
  const year = new Date(ms).getUTCFullYear();
  return Number.isFinite(ms) && year >= FIRST_YEAR && year <= LAST_YEAR ? new Date(ms) : null;
}

/** An instant as a wall-clock time with its offset in the event's time zone (2030-05-01T10:00:00+02:00). */
export function localTime(at: Date, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone).toString({ timeZoneName: "never" });
}

/** An instant for Fedify's objects (the global Temporal, which src/temporal.ts installs when Node lacks one). */
export function toInstant(at: Date): globalThis.Temporal.Instant {
  return globalThis.Temporal.Instant.fromEpochMilliseconds(at.getTime());
}
