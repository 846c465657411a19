/**
 * systemd readiness notification (`sd_notify(3)`): the daemon sends
 * `READY=1` once its endpoints listen and `STOPPING=1` when it begins to
 * shut down (daemon issue; the unit uses `Type=notify`).
 *
 * The message is one datagram to the Unix socket named by `$NOTIFY_SOCKET`;
 * a name starting with `@` is in the abstract namespace. Deno sends Unix
 * datagrams with `Deno.listenDatagram({ transport: "unixpacket" })` (a
 * `SOCK_DGRAM` socket despite the name; needs the `net` unstable feature,
 * enabled in deno.json). The sending socket is bound to a random abstract
 * name, so nothing is left in the file system.
 *
 * @module
 */

/** Longest state string sent (systemd reads up to its buffer; ours are tiny). */
const MAX_STATE_BYTES = 4096;

/** Options for {@linkcode sdNotify}. */
export interface SdNotifyOptions {
  /** The socket name; defaults to `$NOTIFY_SOCKET`. */
  socket?: string;
}

/** `@name` → abstract address (leading NUL), paths unchanged. */
function socketAddress(name: string): string {
  return name.startsWith("@") ? "\0" + name.slice(1) : name;
}

/**
 * Sends a state string such as `READY=1` to the service manager. Never
 * throws: readiness must not crash the daemon, so failures are returned.
 *
 * @param state Newline-separated `KEY=value` assignments.
 * @param opts The socket (default `$NOTIFY_SOCKET`).
 * @returns `undefined` when sent or when no socket is set (not run by
 *   systemd); otherwise an error message naming the socket.
 *
 * @example Usage
 * ```ts
 * import { sdNotify } from "./notify.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(await sdNotify("READY=1", { socket: "" }), undefined);
 * ```
 */
export async function sdNotify(
  state: string,
  opts: SdNotifyOptions = {},
): Promise<string | undefined> {
  const name = opts.socket ?? Deno.env.get("NOTIFY_SOCKET") ?? "";
  if (name === "") return undefined;
  const data = new TextEncoder().encode(state);
  if (data.length === 0 || data.length > MAX_STATE_BYTES) {
    return `sd_notify: invalid state length ${data.length}`;
  }
  let sock: Deno.DatagramConn | undefined;
  try {
    sock = Deno.listenDatagram({
      transport: "unixpacket",
      path: "\0stave-notify-" + crypto.randomUUID(),
    });
    await sock.send(data, {
      transport: "unixpacket",
      path: socketAddress(name),
    });
    return undefined;
  } catch (e) {
    return `sd_notify to ${name}: ${e instanceof Error ? e.message : e}`;
  } finally {
    sock?.close();
  }
}

/**
 * Tells systemd the daemon is ready (`READY=1`); call once the IPC/HTTP
 * endpoints listen.
 *
 * @param opts The socket (default `$NOTIFY_SOCKET`).
 * @returns As {@linkcode sdNotify}.
 */
export function notifyReady(
  opts: SdNotifyOptions = {},
): Promise<string | undefined> {
  return sdNotify("READY=1", opts);
}

/**
 * Tells systemd the daemon is shutting down (`STOPPING=1`).
 *
 * @param opts The socket (default `$NOTIFY_SOCKET`).
 * @returns As {@linkcode sdNotify}.
 */
export function notifyStopping(
  opts: SdNotifyOptions = {},
): Promise<string | undefined> {
  return sdNotify("STOPPING=1", opts);
}
