/** An event's fields in a create or edit request of Plein's API (`parse`). */
import type { Params } from "../../api/mastodon/params.ts";
import { optionalString } from "../../api/mastodon/params.ts";
import { invalid } from "../../domain/errors.ts";
import type { ModuleInput } from "../module.ts";
import type { EventData, EventInput } from "./data.ts";
import { ianaTimeZone, timeInput } from "./times.ts";

export const LIMITS = { placeName: 200, address: 500, url: 2_000, capacity: 100_000 } as const;

/** A text field: absent (undefined), cleared ("" or null: null), or trimmed text of at most `max` characters. */
function clearable(params: Params, name: string, max: number): string | null | undefined {
  if (params[name] === null) return null;
  const v = optionalString(params, name);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === "") return null;
  if (t.length > max) throw invalid(`${name} is longer than ${max} characters`);
  return t;
}

function location(params: Params): EventInput["location"] {
  const raw = params.location;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const fields = raw as Params;
    const unknown = Object.keys(fields).filter((k) => k !== "name" && k !== "address");
    if (unknown.length > 0) throw invalid(`location takes name and address, not ${unknown.join(", ")}`);
    const name = clearable(fields, "name", LIMITS.placeName);
    const address = clearable(fields, "address", LIMITS.address);
    return { ...(name !== undefined ? { name } : {}), ...(address !== undefined ? { address } : {}) };
  }
  const name = clearable(params, "location", LIMITS.placeName);
  const address = clearable(params, "address", LIMITS.address);
  if (name === null && address === undefined) return null;
  if (name === undefined && address === undefined) return undefined;
  return { ...(name !== undefined ? { name } : {}), ...(address !== undefined ? { address } : {}) };
}

function onlineUrl(params: Params): string | null | undefined {
  const v = clearable(params, "online_url", LIMITS.url);
  if (v === undefined || v === null) return v;
  if (!URL.canParse(v)) throw invalid("online_url must be a web address");
  const url = new URL(v);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid("online_url must be an http(s) address");
  return url.href;
}

function capacity(params: Params): number | null | undefined {
  const raw = params.capacity;
  if (raw === null) return null;
  const v = optionalString(params, "capacity");
  if (v === undefined) return undefined;
  if (v.trim() === "") return null;
  if (!/^\d{1,9}$/.test(v.trim())) throw invalid("capacity must be a whole number of places, or empty for no limit");
  const n = Number(v.trim());
  if (n < 1 || n > LIMITS.capacity) throw invalid(`capacity must be 1 to ${LIMITS.capacity}, or empty for no limit`);
  return n;
}

export function parseEvent(params: Params, mode: "create" | "edit"): ModuleInput<EventData> {
  const title = optionalString(params, "title");
  const summary = optionalString(params, "summary");
  if (mode === "create" && !title?.trim()) throw invalid("title is required: an event needs a name");
  if (title !== undefined && !title.trim()) throw invalid("title can't be blank");

  const start = optionalString(params, "start");
  if (mode === "create" && (start === undefined || start.trim() === "")) throw invalid("start is required");
  if (start !== undefined && start.trim() === "") throw invalid("start can't be blank");
  const end = params.end === null ? "" : optionalString(params, "end");
  const zone = optionalString(params, "time_zone");
  let timeZone: string | undefined;
  if (zone !== undefined) {
    timeZone = ianaTimeZone(zone.trim()) ?? undefined;
    if (!timeZone) throw invalid("time_zone must be an IANA time zone, like Europe/Amsterdam");
  }
  const place = location(params);
  const url = onlineUrl(params);
  const places = capacity(params);
  const data: EventInput = {
    kind: "input",
    ...(start !== undefined ? { start: timeInput("start", start) } : {}),
    ...(end !== undefined ? { end: end.trim() === "" ? null : timeInput("end", end) } : {}),
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(place !== undefined ? { location: place } : {}),
    ...(url !== undefined ? { onlineUrl: url } : {}),
    ...(places !== undefined ? { capacity: places } : {}),
  };
  return {
    post: {
      ...(title !== undefined ? { name: title.trim() } : {}),
      ...(summary !== undefined ? { summary: summary || null } : {}),
    },
    data,
  };
}
