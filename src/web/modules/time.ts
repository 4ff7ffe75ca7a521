/**
 * Times on the events pages: read and shown in Dutch time (Europe/Amsterdam),
 * with Temporal as the event module does (src/modules/event/times.ts).
 */
import { Temporal } from "@js-temporal/polyfill";
import type { Lang } from "../texts.ts";

export const PAGE_TIME_ZONE = "Europe/Amsterdam";

const MONTH = /^(\d{4})-(\d{2})$/;

/** `?month=YYYY-MM` (1900–9999), or undefined for anything else. */
export function monthParam(value: string | undefined): Temporal.PlainYearMonth | undefined {
  const m = value ? MONTH.exec(value) : null;
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 1900 || year > 9999 || month < 1 || month > 12) return undefined;
  return Temporal.PlainYearMonth.from({ year, month });
}

export function thisMonth(now = new Date()): Temporal.PlainYearMonth {
  return Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(PAGE_TIME_ZONE).toPlainDate().toPlainYearMonth();
}

function startOf(month: Temporal.PlainYearMonth): Date {
  const zdt = month.toPlainDate({ day: 1 }).toZonedDateTime({ timeZone: PAGE_TIME_ZONE });
  return new Date(zdt.epochMilliseconds);
}

/** The instants a month runs from and to, in Dutch time. */
export function monthWindow(month: Temporal.PlainYearMonth): { from: Date; to: Date } {
  return { from: startOf(month), to: startOf(month.add({ months: 1 })) };
}

const LOCALE: Record<Lang, string> = { nl: "nl-NL", en: "en-GB" };

function zoned(at: Date): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(PAGE_TIME_ZONE);
}

export function monthName(month: Temporal.PlainYearMonth, lang: Lang): string {
  return zoned(startOf(month)).toLocaleString(LOCALE[lang], { month: "long", year: "numeric" });
}

export function dayText(at: Date, lang: Lang): string {
  return zoned(at).toLocaleString(LOCALE[lang], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

export function clockText(at: Date): string {
  const z = zoned(at);
  return `${String(z.hour).padStart(2, "0")}:${String(z.minute).padStart(2, "0")}`;
}

/** The machine-readable time of a <time> element: the instant with its offset in Dutch time. */
export function datetimeAttr(at: Date): string {
  return zoned(at).toString({ timeZoneName: "never", smallestUnit: "minute" });
}

/** The day of an instant in Dutch time (2030-05-01), to group a month's events by day. */
export function dayKey(at: Date): string {
  return zoned(at).toPlainDate().toString();
}
