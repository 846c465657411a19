/**
 * The rules Worker. Spawned by `engine.ts` with `deno: { permissions:
 * "none" }`; it starts the rule host (`_host.ts`) in a `node:worker_threads`
 * Worker, which inherits its permissions ("none"), with a V8 heap limit
 * (`resourceLimits`), and hands it the main thread's `MessagePort` (every
 * message of a call goes straight between the main thread and the host,
 * so this hop costs nothing per call).
 *
 * Why a second Worker: a Deno Web Worker has no heap limit (`--v8-flags`
 * are process-wide, and a V8 isolate that reaches its heap limit aborts
 * the whole process), while Deno 2.9.6 gives a `node:worker_threads`
 * Worker its own `resourceLimits` and, when the rule host reaches it,
 * stops the host's JavaScript instead of the process (measured: a rule
 * allocating without end stops at ≈190 MB RSS with 128 MiB; the daemon
 * lives on). Why not only that Worker: it takes no `deno.permissions` and
 * would inherit the daemon's; started from here it inherits "none".
 *
 * Terminating this Worker (the engine does, after a stopped call) also
 * ends the host when it is idle or stopped by the heap limit, and frees
 * its memory. Neither kind of Worker can be terminated while it runs
 * JavaScript (Deno 2.9.6: `terminate()` does not interrupt a busy
 * isolate), so the host never lets rule code run outside node:vm's
 * watchdogs (`_host.ts`).
 *
 * @module
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { BIGNUMBER_JS } from "./_bignumber.ts";
import { probePermissions, ruleHost } from "./_host.ts";
import {
  type GoneMessage,
  HOST_LIMITS,
  type StartMessage,
} from "./protocol.ts";

/** The rule host's source: its two functions, called with `require`. */
const HOST_SOURCE = `"use strict";
(${ruleHost.toString()})(require, ${probePermissions.toString()});`;

// deno-lint-ignore no-explicit-any
const scope = self as any;
let host: NodeWorker | undefined;

function gone(error: string): void {
  const msg: GoneMessage = { t: "gone", error };
  scope.postMessage(msg);
}

scope.onmessage = (e: MessageEvent<StartMessage | { t: "probe" }>) => {
  const msg = e.data;
  if (msg.t === "probe") {
    // the permissions of this Worker's own realm (tests)
    void probePermissions().then((permissions) =>
      scope.postMessage({ t: "probe", permissions })
    );
    return;
  }
  if (msg.t !== "start" || host !== undefined) return;
  host = new NodeWorker(HOST_SOURCE, {
    eval: true,
    workerData: {
      port: msg.port,
      bignumber: BIGNUMBER_JS,
      limits: HOST_LIMITS,
    },
    // deno-lint-ignore no-explicit-any
    transferList: [msg.port as any],
    resourceLimits: { maxOldGenerationSizeMb: msg.heapMb },
  });
  host.on("error", (err: Error) => gone(err.message));
  host.on("exit", (code: number) => gone(`exit ${code}`));
};
