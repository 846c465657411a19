/**
 * `make interop`'s build step (tests/interop/build_peers.ts) without Go:
 * it prints the pinned versions, then stops at once with one line saying
 * it needs Go and the Go module proxy. Runs in `make test`, which never
 * needs Go.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { dirname } from "node:path";
import { denoDir, ROOT } from "./_util.ts";

Deno.test("make interop without go on PATH: the versions, then one line, exit 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "tests/interop/build_peers.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: dirname(Deno.execPath()),
      HOME: "/nonexistent-stave-test-home",
      DENO_DIR: await denoDir(),
      DENO_NO_UPDATE_CHECK: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  strictEqual(out.code, 1, stdout + stderr);
  deepStrictEqual(stderr.trimEnd().split("\n"), [
    "make interop needs Go ('go' on PATH) and the Go module proxy to build geth and Clef",
  ]);
  const versions = JSON.parse(
    await Deno.readTextFile(`${ROOT}/tests/interop/versions.json`),
  );
  ok(
    stdout.startsWith(
      `interop peers: geth ${versions.geth.version} (${versions.geth.package}`,
    ),
    stdout,
  );
  ok(stdout.includes(`clef ${versions.clef.version}`), stdout);
});
