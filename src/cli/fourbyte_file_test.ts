import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { FourByteDb, parseCustomDatabase } from "../signing/fourbyte.ts";
import { parseJson } from "../json.ts";
import { CustomFourByteFile } from "./fourbyte_file.ts";

function id(n: number): Uint8Array {
  return new Uint8Array([0xee, 0, n >> 8, n & 0xff]);
}

function counted(delayMs: number) {
  const writes: string[] = [];
  const file = new CustomFourByteFile("x.json", () => db.customJson(), {
    delayMs,
    write: (_p, text) => {
      writes.push(text);
      return Promise.resolve();
    },
  });
  const db = new FourByteDb({
    embedded: [],
    onCustomChange: () => file.changed(),
  });
  return { writes, file, db: () => db };
}

Deno.test("CustomFourByteFile writes 1,000 additions in one batch", async () => {
  const t = counted(50);
  for (let i = 0; i < 1000; i++) t.db().addSelector(`f${i}()`, id(i));
  strictEqual(t.writes.length, 0);
  // The timer writes (however late it fires on a loaded machine): once.
  for (let i = 0; i < 3000 && t.writes.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  strictEqual(t.writes.length, 1);
  strictEqual(parseCustomDatabase(parseJson(t.writes[0])).length, 1000);
  await t.file.close();
  strictEqual(t.writes.length, 1);
});

Deno.test("CustomFourByteFile writes nothing for a known selector", async () => {
  const t = counted(50);
  t.db().addSelector("f()", id(1));
  await t.file.close();
  strictEqual(t.writes.length, 1);
  for (let i = 0; i < 100; i++) t.db().addSelector("f()", id(1));
  await t.file.close();
  strictEqual(t.writes.length, 1);
});

Deno.test("CustomFourByteFile.close() writes pending changes at once, later ones directly", async () => {
  const t = counted(3_600_000); // a timer that never fires in this test
  t.db().addSelector("a()", id(1));
  t.db().addSelector("b()", id(2));
  await t.file.close();
  strictEqual(t.writes.length, 1);
  deepStrictEqual(
    parseCustomDatabase(parseJson(t.writes[0])).map(([, s]) => s),
    ["a()", "b()"],
  );
  t.db().addSelector("c()", id(3));
  await t.file.close();
  strictEqual(t.writes.length, 2);
});

Deno.test("CustomFourByteFile batches changes made during a write into the next one", async () => {
  const writes: string[] = [];
  let release!: () => void;
  const file = new CustomFourByteFile("x.json", () => db.customJson(), {
    delayMs: 1,
    write: (_p, text) => {
      writes.push(text);
      return writes.length === 1
        ? new Promise<void>((r) => release = r)
        : Promise.resolve();
    },
  });
  const db = new FourByteDb({
    embedded: [],
    onCustomChange: () => file.changed(),
  });
  db.addSelector("a()", id(1));
  while (writes.length === 0) await new Promise((r) => setTimeout(r, 5));
  for (let i = 2; i < 50; i++) db.addSelector(`f${i}()`, id(i));
  release();
  await file.close();
  strictEqual(writes.length, 2);
  strictEqual(parseCustomDatabase(parseJson(writes[1])).length, 49);
});

Deno.test("CustomFourByteFile writes atomically with mode 0600 and reports errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "4byte-custom.json");
    const errors: unknown[] = [];
    const file = new CustomFourByteFile(path, () => db.customJson(), {
      onError: (e) => errors.push(e),
    });
    const db = new FourByteDb({
      embedded: [],
      onCustomChange: () => file.changed(),
    });
    db.addSelector("send(uint256)", new Uint8Array([0xa5, 0x2c, 0x10, 0x1e]));
    await file.close();
    strictEqual(
      await Deno.readTextFile(path),
      '{"a52c101e":"send(uint256)"}',
    );
    strictEqual((await Deno.stat(path)).mode! & 0o777, 0o600);
    strictEqual(errors.length, 0);
    const bad = new CustomFourByteFile(
      join(dir, "no", "such.json"),
      () => "{}",
      {
        onError: (e) => errors.push(e),
      },
    );
    bad.changed();
    await bad.close();
    strictEqual(errors.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
