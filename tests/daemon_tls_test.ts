/**
 * HTTPS and mutual TLS on the HTTP endpoint (`--http.tls.cert`,
 * `--http.tls.key`, `--http.tls.clientca`) with real clients: curl and
 * Node's https module, certificates made at test time with openssl. A
 * client without a certificate, or with one another CA signed, is refused
 * in the handshake; a private key readable by others stops the start.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { EXIT_CONFIG } from "../src/errors.ts";
import {
  cliqueHeader,
  cliqueRlp,
  freePort,
  recoverCliqueSigner,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; stdin?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(opts.stdin ?? "")).catch(() => {});
  await w.close().catch(() => {});
  const o = await child.output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

/** A CA, a server certificate for 127.0.0.1, a client certificate, and a rogue client. */
async function makeCerts(dir: string): Promise<void> {
  const sh = `set -e
    ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
    openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj /CN=stave-test-ca
    openssl req -x509 $ec -keyout rogue-ca.key -out rogue-ca.pem -days 2 -subj /CN=rogue-ca
    openssl req $ec -keyout server.key -out server.csr -subj /CN=127.0.0.1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
    printf 'basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\nextendedKeyUsage=clientAuth\\n' > client.ext
    openssl req $ec -keyout client.key -out client.csr -subj /CN=sealer-client
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext
    openssl req $ec -keyout rogue.key -out rogue.csr -subj /CN=rogue-client
    openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue.pem -days 2 -extfile client.ext
    chmod 600 *.key`;
  const r = await run("bash", ["-c", sh], { cwd: dir });
  strictEqual(r.code, 0, r.err);
}

const VERSION_CALL = '{"jsonrpc":"2.0","id":1,"method":"account_version"}';

function curl(url: string, dir: string, extra: string[]) {
  return run("curl", [
    "-sS",
    "--max-time",
    "30",
    "--cacert",
    join(dir, "ca.pem"),
    "-H",
    "content-type: application/json",
    "--data",
    VERSION_CALL,
    ...extra,
    url,
  ]);
}

/** Node's https client (an independent TLS stack from the server's). */
function nodePost(url: string, dir: string, body: string, client?: string) {
  const script = `
const https = require("https"), fs = require("fs");
const [url, dir, body, client] = process.argv.slice(1);
const opts = { method: "POST", ca: fs.readFileSync(dir + "/ca.pem"),
  headers: { "content-type": "application/json" } };
if (client) { opts.cert = fs.readFileSync(dir + "/" + client + ".pem");
  opts.key = fs.readFileSync(dir + "/" + client + ".key"); }
const req = https.request(url, opts, (res) => { let t = "";
  res.on("data", (d) => t += d); res.on("end", () => { console.log(res.statusCode + " " + t.trim()); }); });
req.on("error", (e) => { console.log("error " + e.code + " " + e.message); });
req.end(body);`;
  return run("node", ["-e", script, url, dir, body, client ?? ""]);
}

Deno.test({
  name:
    "HTTPS with --http.tls.cert/--http.tls.key, and mutual TLS with --http.tls.clientca (curl, Node)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({
      rulesSource: `function ApproveSignData(r) {
        return r.content_type == "application/x-clique-header" ? "Approve" : "Reject" }`,
    });
    const dir = join(s.dirs.root, "tls");
    await Deno.mkdir(dir);
    await makeCerts(dir);
    const tlsFlags = (port: number, mutual: boolean) => [
      "--http",
      "--http.addr",
      "127.0.0.1",
      "--http.port",
      String(port),
      "--http.tls.cert",
      join(dir, "server.pem"),
      "--http.tls.key",
      join(dir, "server.key"),
      ...(mutual ? ["--http.tls.clientca", join(dir, "ca.pem")] : []),
    ];
    try {
      // Server TLS: any client that trusts the CA.
      const port1 = freePort();
      const d1 = await startDaemon(s, { extraFlags: tlsFlags(port1, false) });
      try {
        ok(
          d1.stderrText().includes(`url=https://127.0.0.1:${port1}/`),
          d1.stderrText(),
        );
        const url = `https://127.0.0.1:${port1}/`;
        const c = await curl(url, dir, []);
        strictEqual(c.code, 0, c.err);
        strictEqual(c.out, '{"jsonrpc":"2.0","id":1,"result":"6.1.0"}\n');
        const plain = await run("curl", [
          "-sS",
          "--max-time",
          "10",
          "--data",
          VERSION_CALL,
          `http://127.0.0.1:${port1}/`,
        ]);
        ok(plain.code !== 0 || !plain.out.includes("6.1.0"), plain.out);
        const n = await nodePost(url, dir, VERSION_CALL);
        strictEqual(
          n.out.trim(),
          '200 {"jsonrpc":"2.0","id":1,"result":"6.1.0"}',
        );
      } finally {
        await d1.stop();
      }

      // Mutual TLS: only clients with a certificate from the CA.
      const port2 = freePort();
      const d2 = await startDaemon(s, { extraFlags: tlsFlags(port2, true) });
      try {
        const url = `https://127.0.0.1:${port2}/`;
        const none = await curl(url, dir, []);
        ok(none.code !== 0, `no client certificate was accepted: ${none.out}`);
        const rogue = await curl(url, dir, [
          "--cert",
          join(dir, "rogue.pem"),
          "--key",
          join(dir, "rogue.key"),
        ]);
        ok(
          rogue.code !== 0,
          `a rogue CA's certificate was accepted: ${rogue.out}`,
        );
        const good = await curl(url, dir, [
          "--cert",
          join(dir, "client.pem"),
          "--key",
          join(dir, "client.key"),
        ]);
        strictEqual(good.code, 0, good.err);
        strictEqual(good.out, '{"jsonrpc":"2.0","id":1,"result":"6.1.0"}\n');
        ok((await nodePost(url, dir, VERSION_CALL)).out.startsWith("error "));
        ok(
          (await nodePost(url, dir, VERSION_CALL, "rogue")).out.startsWith(
            "error ",
          ),
        );
        // A Clique seal over mutual TLS (as Nethermind or a custom client).
        const h = cliqueHeader(5n);
        const sealCall = JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "account_signData",
          params: ["application/x-clique-header", s.address, cliqueRlp(h)],
        });
        const sealed = await nodePost(url, dir, sealCall, "client");
        ok(sealed.out.startsWith("200 "), sealed.out);
        const seal = JSON.parse(sealed.out.slice(4)).result as string;
        strictEqual(recoverCliqueSigner(h, seal), s.address);
        // The daemon keeps serving after refused handshakes.
        await sleep(100);
        strictEqual(
          (await curl(url, dir, [
            "--cert",
            join(dir, "client.pem"),
            "--key",
            join(dir, "client.key"),
          ])).code,
          0,
        );
      } finally {
        await d2.stop();
      }

      // A private key readable by others: refused at start, as the seed is.
      await Deno.chmod(join(dir, "server.key"), 0o644);
      const d3 = await startDaemon(s, {
        extraFlags: tlsFlags(freePort(), false),
        wait: false,
      });
      const st = await Promise.race([
        d3.status,
        sleep(60_000).then(() => null),
      ]);
      if (st === null) await d3.kill9();
      strictEqual(st?.code, EXIT_CONFIG, d3.stderrText());
      ok(
        d3.stderrText().includes(
          `has insecure file permissions (-rw-r--r--)`,
        ),
        d3.stderrText(),
      );
    } finally {
      await s.cleanup();
    }
  },
});
