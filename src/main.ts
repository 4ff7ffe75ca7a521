#!/usr/bin/env node
import { enableCompileCache } from "node:module";

// Every start compiles some 2,000 modules (Plein's and its dependencies'): most of
// a start's time (2.0 s to load the CLI here, 1.2 s with the cache). Node keeps
// their compiled code on disk (NODE_COMPILE_CACHE, or node-compile-cache in the
// system's temporary directory), checked against each file's contents, so a changed
// file is compiled afresh. Where the directory cannot be written Node only says so
// in the returned status, and Plein starts as before. NODE_DISABLE_COMPILE_CACHE=1
// turns it off. This file imports nothing else statically: the cache must be on
// before the first module is compiled.
enableCompileCache();
// A server command first runs itself again with settings only a start can take (ops/process-tuning.ts).
(await import("./ops/process-tuning.ts")).reexecTuned(process.argv[2]);
await import("./cli/plein.ts");
