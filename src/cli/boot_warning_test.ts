import { rejects, strictEqual } from "node:assert/strict";
import {
  ABORTED_BY_USER,
  BOOT_EOF,
  BOOT_PROMPT,
  BOOT_WARNING,
  showBootWarning,
} from "./boot_warning.ts";

function term(answers: (string | null)[]) {
  const state = { out: "", err: "", reads: 0 };
  return {
    state,
    term: {
      write: (t: string) => {
        state.out += t;
      },
      readLine: () => {
        state.reads++;
        return Promise.resolve(answers.shift() ?? null);
      },
      readPassword: () => Promise.resolve(null),
      eof: false,
    },
    writeStderr: (t: string) => {
      state.err += t;
    },
  };
}

Deno.test("showBootWarning() accepts 'ok' with surrounding whitespace", async () => {
  const t = term([" \tok  "]);
  await showBootWarning(t.term, {
    suppress: false,
    stdioUi: false,
    writeStderr: t.writeStderr,
  });
  strictEqual(t.state.out, BOOT_WARNING + BOOT_PROMPT + "\n");
  strictEqual(t.state.err, "");
});

Deno.test("showBootWarning() aborts on any other answer and fails at end of input", async () => {
  for (const answer of ["OK", "yes", "", "o k"]) {
    const t = term([answer]);
    await rejects(
      showBootWarning(t.term, {
        suppress: false,
        stdioUi: false,
        writeStderr: t.writeStderr,
      }),
      { message: ABORTED_BY_USER },
    );
  }
  const e = term([null]);
  await rejects(
    showBootWarning(e.term, {
      suppress: false,
      stdioUi: false,
      writeStderr: e.writeStderr,
    }),
    { message: BOOT_EOF },
  );
});

Deno.test("showBootWarning() asks nothing with --suppress-bootwarn or --stdio-ui", async () => {
  const s = term([]);
  await showBootWarning(s.term, {
    suppress: true,
    stdioUi: false,
    writeStderr: s.writeStderr,
  });
  strictEqual(s.state.out + s.state.err, "");
  strictEqual(s.state.reads, 0);
  const u = term([]);
  await showBootWarning(u.term, {
    suppress: false,
    stdioUi: true,
    writeStderr: u.writeStderr,
  });
  strictEqual(u.state.err, BOOT_WARNING);
  strictEqual(u.state.out, "");
  strictEqual(u.state.reads, 0);
  const both = term([]);
  await showBootWarning(both.term, {
    suppress: true,
    stdioUi: true,
    writeStderr: both.writeStderr,
  });
  strictEqual(both.state.out + both.state.err, "");
});
