/**
 * systemd readiness notification (`sd_notify`): sends `READY=1` /
 * `STOPPING=1` to the datagram socket named by `$NOTIFY_SOCKET`.
 *
 * @module
 */

/**
 * Sends one state string to `$NOTIFY_SOCKET`; a no-op when it is unset.
 * Failures are returned, never thrown: readiness must not crash the daemon.
 *
 * @param state e.g. `READY=1`.
 * @returns An error message, or undefined on success / when unset.
 */
export async function sdNotify(state: string): Promise<string | undefined> {
  const target = Deno.env.get("NOTIFY_SOCKET");
  if (!target) return undefined;
  if (target.startsWith("@")) {
    return "abstract NOTIFY_SOCKET addresses are not supported";
  }
  const dir = await Deno.makeTempDir({ prefix: "stave-notify-" });
  const local = `${dir}/s`;
  let conn: Deno.DatagramConn | undefined;
  try {
    conn = Deno.listenDatagram({ transport: "unixpacket", path: local });
    await conn.send(new TextEncoder().encode(state), {
      transport: "unixpacket",
      path: target,
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    conn?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
