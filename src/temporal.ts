import { Temporal } from "@js-temporal/polyfill";

/** Fedify expects a global Temporal; Node 24 does not ship one yet. Call once at start-up. */
export function installTemporal(): void {
  if (!("Temporal" in globalThis)) {
    Object.defineProperty(globalThis, "Temporal", { value: Temporal, writable: true, configurable: true });
  }
}
