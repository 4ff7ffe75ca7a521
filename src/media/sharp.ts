/**
 * sharp, loaded when an image is first made or read. The library and libvips
 * held some 12 MB of an idle process (bench/footprint.ts), and most processes
 * never touch an image: a worker, a web process until the first upload or
 * default picture.
 */
import type sharpFactory from "sharp";

let loading: Promise<typeof sharpFactory> | undefined;

export function loadSharp(): Promise<typeof sharpFactory> {
  loading ??= import("sharp").then((module) => module.default);
  return loading;
}
