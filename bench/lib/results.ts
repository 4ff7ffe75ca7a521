import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Machine } from "./machine.ts";

/** One of the targets beside the figure measured for it. */
export interface Target {
  name: string;
  value: number;
  unit: string;
  /** e.g. ">= 1500", "< 10" */
  target: string;
  met: boolean;
}

export function atLeast(name: string, value: number, unit: string, threshold: number): Target {
  return { name, value, unit, target: `>= ${threshold}`, met: value >= threshold };
}

export function below(name: string, value: number, unit: string, threshold: number): Target {
  return { name, value, unit, target: `< ${threshold}`, met: value < threshold };
}

export interface Result {
  benchmark: string;
  description: string;
  date: string;
  /** false when any size is smaller than the (a quick check, not a measurement) */
  fullSize: boolean;
  parameters: Record<string, number | string | boolean>;
  machine: Machine;
  targets: Target[];
  figures: Record<string, unknown>;
  /** in bench/results.json: kept from an earlier run, not measured by this one (see its date and machine) */
  earlier?: boolean;
}

export const RESULTS_DIR = join(import.meta.dirname, "..", "results");
/** Runs smaller than the sizes go here (git-ignored), never beside real figures. */
export const SMOKE_DIR = join(RESULTS_DIR, "smoke");

/** Were all sizes the issue's? */
export function isFullSize(parameters: Record<string, number>, defaults: Record<string, number>): boolean {
  return Object.entries(defaults).every(([name, value]) => (parameters[name] ?? value) >= value);
}

/** Prints the targets and writes bench/results/<name>-<database>.json (smoke runs: bench/results/smoke/). */
export function report(result: Result): string {
  const dir = result.fullSize ? RESULTS_DIR : SMOKE_DIR;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.benchmark}-${result.machine.database.kind}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  const out = process.stdout;
  out.write(`\n== ${result.benchmark} on ${result.machine.database.version}${result.machine.database.connection === "unix socket" ? " over its Unix socket" : ""}${result.fullSize ? "" : " (SMOKE RUN: smaller than the issue's sizes)"}\n`);
  for (const t of result.targets) {
    out.write(`  ${t.met ? "ok  " : "MISS"} ${t.name}: ${t.value} ${t.unit} (target ${t.target})\n`);
  }
  out.write(`  written to ${file}\n`);
  return file;
}
