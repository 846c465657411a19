import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { escapeLogLine, formatLogValue, Logger, LogLevel } from "./log.ts";

const when = new Date(2026, 0, 2, 3, 4, 5, 60);

function capture(
  opts: { level?: number; journald?: boolean; color?: boolean } = {},
) {
  const lines: string[] = [];
  const log = new Logger({
    ...opts,
    sink: (l) => lines.push(l),
    now: () => when,
  });
  return { log, lines };
}

Deno.test("Logger pads the message to 40 columns only when key/value pairs follow", () => {
  const { log, lines } = capture();
  log.info("Ruleset attestation updated", { sha256: "ab" });
  log.warn("Please remember your password!");
  log.error("x".repeat(45), { k: 1 });
  strictEqual(
    lines[0],
    "INFO [01-02|03:04:05.060] Ruleset attestation updated              sha256=ab\n",
  );
  strictEqual(lines[0].indexOf(" sha256="), 26 + 40);
  strictEqual(
    lines[1],
    "WARN [01-02|03:04:05.060] Please remember your password!\n",
  );
  strictEqual(lines[2], `ERROR[01-02|03:04:05.060] ${"x".repeat(45)} k=1\n`);
});

Deno.test("Logger filters by --loglevel (0 crit … 5 trace; above 5 is trace)", () => {
  for (
    const [level, want] of [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [
      9,
      6,
    ]]
  ) {
    const { log, lines } = capture({ level });
    log.crit("c");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    log.trace("t");
    strictEqual(lines.length, want, `level ${level}`);
  }
  const { log } = capture({ level: 3 });
  strictEqual(log.enabled(LogLevel.Info), true);
  strictEqual(log.enabled(LogLevel.Debug), false);
});

Deno.test("Logger labels every level with five characters", () => {
  const { log, lines } = capture({ level: 5 });
  log.crit("m");
  log.debug("m");
  log.trace("m");
  strictEqual(lines[0].slice(0, 6), "CRIT [");
  strictEqual(lines[1].slice(0, 6), "DEBUG[");
  strictEqual(lines[2].slice(0, 6), "TRACE[");
});

Deno.test("Logger prefixes journald priorities and can colour", () => {
  const j = capture({ level: 5, journald: true });
  j.log.error("e");
  j.log.warn("w");
  j.log.info("i");
  j.log.debug("d");
  strictEqual(j.lines.map((l) => l.slice(0, 3)).join(""), "<3><4><6><7>");
  const c = capture({ color: true });
  c.log.info("m", { k: "v" });
  ok(c.lines[0].startsWith("\x1b[32mINFO \x1b[0m["));
  ok(c.lines[0].includes("\x1b[32mk\x1b[0m=v"));
});

Deno.test("formatLogValue() quotes as geth's terminal format", () => {
  strictEqual(formatLogValue("plain"), "plain");
  strictEqual(formatLogValue("/tmp/a b"), '"/tmp/a b"');
  strictEqual(formatLogValue("a=b"), '"a=b"');
  strictEqual(formatLogValue('say "hi"'), '"say \\"hi\\""');
  strictEqual(formatLogValue("tab\there"), '"tab\\there"');
  strictEqual(formatLogValue("caf\u00e9"), '"caf\u00e9"');
  strictEqual(formatLogValue(""), "");
  strictEqual(formatLogValue(null), "<nil>");
  strictEqual(formatLogValue(undefined), "<nil>");
  strictEqual(formatLogValue(12n), "12");
  strictEqual(formatLogValue(false), "false");
  strictEqual(formatLogValue(new Error("boom now")), '"boom now"');
});

Deno.test("escapeLogLine() keeps untrusted text on one line", () => {
  strictEqual(
    escapeLogLine(
      "a\nINFO [x] forged\n<0>emerg\r\t\\ \x1b[2J\x00\x7f\x85\u2028\u2029é€",
    ),
    "a\\nINFO [x] forged\\n<0>emerg\\r\\t\\\\ \\x1b[2J\\x00\\x7f\\u0085\\u2028\\u2029é€",
  );
  strictEqual(escapeLogLine("JS:>  plain text 1 2"), "JS:>  plain text 1 2");
});

Deno.test("Logger with format json writes one parseable line per record", () => {
  const lines: string[] = [];
  const log = new Logger({
    sink: (l) => lines.push(l),
    format: "json",
    now: () => new Date(Date.UTC(2026, 11, 4, 18, 0, 0, 5)),
  });
  log.info("Op approved", {
    method: "account_signData",
    number: 12n,
    err: new Error("x\ny"),
    msg: "a field called msg",
    nested: { a: [1, 2n] },
    weird: "line\u2028sep",
  });
  log.error("second");
  strictEqual(lines.length, 2);
  for (const l of lines) {
    strictEqual(l.endsWith("\n"), true);
    strictEqual(l.slice(0, -1).includes("\n"), false);
    strictEqual(l.includes("\u2028"), false);
  }
  deepStrictEqual(JSON.parse(lines[0]), {
    t: "2026-12-04T18:00:00.005Z",
    lvl: "info",
    msg: "Op approved",
    method: "account_signData",
    number: "12",
    err: "x\ny",
    _msg: "a field called msg",
    nested: { a: [1, "2"] },
    weird: "line\u2028sep",
  });
  deepStrictEqual(JSON.parse(lines[1]).lvl, "error");
});

Deno.test("Logger with format logfmt quotes as Go's slog text handler", () => {
  const lines: string[] = [];
  const log = new Logger({ sink: (l) => lines.push(l), format: "logfmt" });
  log.warn("Served account_list", {
    reqid: 7,
    path: "/tmp/x",
    spaced: "a b",
    empty: "",
    eq: "k=v",
    nl: "a\nb",
  });
  const l = lines[0];
  strictEqual(
    /^t=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} lvl=warn msg="Served account_list" reqid=7 path=\/tmp\/x spaced="a b" empty="" eq="k=v" nl="a\\nb"\n$/
      .test(l),
    true,
    l,
  );
});
