/**
 * sharp, loaded when an image is first made or read. The library and libvips
 * hold some 20 MB of memory in a process that has loaded them, and most
 * processes never touch an image: a worker, a web process until the first
 * upload or default picture (bench/footprint.ts measures the idle memory).
 */
import type sharpFactory from "sharp";

let loading: Promise<typeof sharpFactory> | undefined;

export function loadSharp(): Promise<typeof sharpFactory> {
  loading ??= import("sharp").then((module) => module.default);
  return loading;
}
