import pkg from "../package.json" with { type: "json" };

/** Plein's version, as package.json states it: the one place it is written. */
export const PLEIN_VERSION: string = pkg.version;

/** How Plein names itself to other servers (the User-Agent's software part, NodeInfo). */
export const SOFTWARE = { name: "plein", version: PLEIN_VERSION, userAgent: `Plein/${PLEIN_VERSION}` } as const;
