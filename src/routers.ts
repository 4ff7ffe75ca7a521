import type { Hono } from "hono";
import type { AppEnv } from "./app.ts";

/** Every HTTP surface besides federation registers here, in order. */
export const mountRouters: Array<(app: Hono<AppEnv>) => void> = [];
