import { installTemporal } from "../../src/temporal.ts";

installTemporal();
