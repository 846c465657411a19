import { ok, strictEqual } from "node:assert/strict";
import { notifyReady, notifyStopping, sdNotify } from "./notify.ts";

const dec = new TextDecoder();

async function receiveOne(sock: Deno.DatagramConn): Promise<string> {
  const [data] = await sock.receive();
  return dec.decode(data);
}

Deno.test("notifyReady() and notifyStopping() reach a datagram listener", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stave-notify-" });
  const path = `${dir}/notify`;
  const rx = Deno.listenDatagram({ transport: "unixpacket", path });
  try {
    strictEqual(await notifyReady({ socket: path }), undefined);
    strictEqual(await receiveOne(rx), "READY=1");
    strictEqual(await notifyStopping({ socket: path }), undefined);
    strictEqual(await receiveOne(rx), "STOPPING=1");
  } finally {
    rx.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sdNotify() reads $NOTIFY_SOCKET and supports abstract names", async () => {
  const name = "stave-test-" + crypto.randomUUID();
  const rx = Deno.listenDatagram({
    transport: "unixpacket",
    path: "\0" + name,
  });
  const old = Deno.env.get("NOTIFY_SOCKET");
  Deno.env.set("NOTIFY_SOCKET", "@" + name);
  try {
    strictEqual(await sdNotify("READY=1\nSTATUS=serving"), undefined);
    strictEqual(await receiveOne(rx), "READY=1\nSTATUS=serving");
  } finally {
    if (old === undefined) Deno.env.delete("NOTIFY_SOCKET");
    else Deno.env.set("NOTIFY_SOCKET", old);
    rx.close();
  }
});

Deno.test("sdNotify() is a no-op without a socket", async () => {
  const old = Deno.env.get("NOTIFY_SOCKET");
  Deno.env.delete("NOTIFY_SOCKET");
  try {
    strictEqual(await notifyReady(), undefined);
  } finally {
    if (old !== undefined) Deno.env.set("NOTIFY_SOCKET", old);
  }
});

Deno.test("sdNotify() returns, never throws, an error for a dead socket", async () => {
  const err = await sdNotify("READY=1", {
    socket: "@stave-nobody-" + crypto.randomUUID(),
  });
  ok(err?.startsWith("sd_notify to @stave-nobody-"), err);
  ok(err?.includes("refused"), err);
  const dir = await Deno.makeTempDir({ prefix: "stave-notify-" });
  ok((await sdNotify("READY=1", { socket: `${dir}/missing` }))?.length);
  await Deno.remove(dir);
  strictEqual(
    await sdNotify("", { socket: "/x" }),
    "sd_notify: invalid state length 0",
  );
});
