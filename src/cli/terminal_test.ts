import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  MAX_LINE_BYTES,
  PromptAbortedError,
  StdinTerminal,
  UNSUPPORTED_TERMINAL_NOTICE,
} from "./terminal.ts";

/** A fake stdin delivering `chunks` one per read, then EOF. */
function fake(chunks: (string | Uint8Array)[], isTerminal = false) {
  const queue = chunks.map((c) =>
    typeof c === "string" ? new TextEncoder().encode(c) : c
  );
  const state = { out: "", raw: [] as boolean[], reads: 0 };
  const term = new StdinTerminal({
    read(buf) {
      state.reads++;
      const c = queue.shift();
      if (c === undefined) return Promise.resolve(null);
      if (c.length > buf.length) {
        buf.set(c.subarray(0, buf.length));
        queue.unshift(c.subarray(buf.length));
        return Promise.resolve(buf.length);
      }
      buf.set(c);
      return Promise.resolve(c.length);
    },
    write: (t) => {
      state.out += t;
    },
    isTerminal,
    setRaw: (r) => {
      state.raw.push(r);
    },
  });
  return { term, state };
}

Deno.test("StdinTerminal.readLine() joins chunks, strips \\r\\n, returns a last unterminated line, then null", async () => {
  const { term } = fake(["o", "k\r\nsec", "ret\n\nlast"]);
  strictEqual(await term.readLine(), "ok");
  strictEqual(await term.readLine(), "secret");
  strictEqual(await term.readLine(), "");
  strictEqual(term.eof, false);
  strictEqual(await term.readLine(), "last");
  strictEqual(await term.readLine(), null);
  strictEqual(term.eof, true);
  strictEqual(await term.readLine(), null);
});

Deno.test("StdinTerminal keeps only one read outstanding and answers callers in order", async () => {
  const { term } = fake(["a\nb\n", "c\n"]);
  const got = await Promise.all([
    term.readLine(),
    term.promptPassword(""),
    term.readLine(),
  ]);
  deepStrictEqual(got, ["a", "b", "c"]);
});

Deno.test("StdinTerminal.promptPassword() on a pipe: notice once, prompt, line kept as typed, newline", async () => {
  const { term, state } = fake([" pass word \nsecond\n"]);
  strictEqual(await term.promptPassword("Password: "), " pass word ");
  strictEqual(await term.promptPassword("Repeat password: "), "second");
  strictEqual(await term.promptPassword("> "), null);
  strictEqual(
    state.out,
    UNSUPPORTED_TERMINAL_NOTICE + "Password: \nRepeat password: \n> \n",
  );
  deepStrictEqual(state.raw, []);
});

Deno.test("StdinTerminal.promptPassword() at a terminal: raw mode, no echo, editing keys", async () => {
  const { term, state } = fake(["ab\x7fc", "d\r", "xyz\x15pw\n"], true);
  strictEqual(await term.promptPassword("Password: "), "acd");
  strictEqual(await term.promptPassword("Password: "), "pw");
  strictEqual(state.out, "Password: \nPassword: \n");
  deepStrictEqual(state.raw, [true, false, true, false]);
});

Deno.test("StdinTerminal.promptPassword() at a terminal: backspace removes a whole UTF-8 character", async () => {
  const { term } = fake(
    [new Uint8Array([0x61, 0xc3, 0xa9, 0x7f, 0x62, 0x0d])],
    true,
  );
  strictEqual(await term.promptPassword(""), "ab");
});

Deno.test("StdinTerminal.promptPassword() at a terminal: Ctrl-C aborts, Ctrl-D on empty input is EOF; raw mode restored", async () => {
  const { term, state } = fake(["se\x03cret\n"], true);
  await rejects(term.promptPassword("Password: "), PromptAbortedError);
  deepStrictEqual(state.raw, [true, false]);
  const d = fake(["\x04"], true);
  strictEqual(await d.term.promptPassword("Password: "), null);
  deepStrictEqual(d.state.raw, [true, false]);
  const mid = fake(["ab\x04c\r"], true);
  strictEqual(
    await mid.term.promptPassword(""),
    "abc",
    "Ctrl-D inside a line is ignored",
  );
});

Deno.test("StdinTerminal.readLine() refuses a line longer than the limit", async () => {
  const big = new Uint8Array(MAX_LINE_BYTES + 10).fill(0x61);
  const { term } = fake([big]);
  await rejects(term.readLine(), RangeError);
});
