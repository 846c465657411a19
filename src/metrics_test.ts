import { strictEqual, throws } from "node:assert/strict";
import { formatSampleValue, Registry } from "./metrics.ts";

Deno.test("Registry.render() writes counters and gauges in the text format", () => {
  const r = new Registry();
  const c = r.counter("stave_requests_total", "Requests by method.", [
    "method",
    "outcome",
  ]);
  c.inc({ method: "account_signData", outcome: "approved" });
  c.inc({ method: "account_signData", outcome: "approved" }, 2);
  c.inc({ method: "account_list", outcome: "error" });
  const g = r.gauge("stave_connections", "Open connections.", ["transport"]);
  g.set({ transport: "ipc" }, 3);
  g.add({ transport: "ipc" }, -1);
  r.gauge("stave_up", "Always 1.", [], () => [[undefined, 1]]);
  strictEqual(
    r.render(),
    [
      "# HELP stave_requests_total Requests by method.",
      "# TYPE stave_requests_total counter",
      'stave_requests_total{method="account_signData",outcome="approved"} 3',
      'stave_requests_total{method="account_list",outcome="error"} 1',
      "# HELP stave_connections Open connections.",
      "# TYPE stave_connections gauge",
      'stave_connections{transport="ipc"} 2',
      "# HELP stave_up Always 1.",
      "# TYPE stave_up gauge",
      "stave_up 1",
      "",
    ].join("\n"),
  );
  strictEqual(c.get({ method: "account_signData", outcome: "approved" }), 3);
  strictEqual(c.get({ method: "x", outcome: "y" }), 0);
});

Deno.test("Histogram renders cumulative buckets, +Inf, _sum and _count", () => {
  const r = new Registry();
  const h = r.histogram("stave_request_duration_seconds", "Latency.", [
    "method",
  ], [0.001, 0.01, 0.1]);
  for (const v of [0.0005, 0.001, 0.002, 0.05, 3]) {
    h.observe({ method: "m" }, v);
  }
  strictEqual(
    r.render(),
    [
      "# HELP stave_request_duration_seconds Latency.",
      "# TYPE stave_request_duration_seconds histogram",
      'stave_request_duration_seconds_bucket{method="m",le="0.001"} 2',
      'stave_request_duration_seconds_bucket{method="m",le="0.01"} 3',
      'stave_request_duration_seconds_bucket{method="m",le="0.1"} 4',
      'stave_request_duration_seconds_bucket{method="m",le="+Inf"} 5',
      'stave_request_duration_seconds_sum{method="m"} 3.0535',
      'stave_request_duration_seconds_count{method="m"} 5',
      "",
    ].join("\n"),
  );
  strictEqual(h.count({ method: "m" }), 5);
  const plain = new Registry().histogram("x_seconds", "x", [], [1]);
  plain.observe(undefined, 0.5);
  strictEqual(plain.samples()[0], 'x_seconds_bucket{le="1"} 1');
  strictEqual(plain.samples()[2], "x_seconds_sum 0.5");
});

Deno.test("label values and help texts are escaped; names are checked", () => {
  const r = new Registry();
  r.counter("a_total", 'back\\slash\nnew "q"', ["v"]).inc({
    v: 'a"b\\c\nd',
  });
  strictEqual(
    r.render(),
    '# HELP a_total back\\\\slash\\nnew "q"\n# TYPE a_total counter\na_total{v="a\\"b\\\\c\\nd"} 1\n',
  );
  throws(() => r.counter("a_total", "again"), TypeError);
  throws(() => r.counter("0bad", "x"), TypeError);
  throws(() => r.counter("ok_total", "x", ["le"]), TypeError);
  throws(() => r.counter("ok2_total", "x", ["__x"]), TypeError);
  const c = r.counter("c_total", "x", ["m"]);
  throws(() => c.inc({}), TypeError);
  throws(() => c.inc({ m: "x" }, -1), RangeError);
  throws(() => r.histogram("h", "x", [], [2, 1]), RangeError);
});

Deno.test("formatSampleValue() writes Prometheus' special values", () => {
  strictEqual(formatSampleValue(Infinity), "+Inf");
  strictEqual(formatSampleValue(-Infinity), "-Inf");
  strictEqual(formatSampleValue(NaN), "NaN");
  strictEqual(formatSampleValue(1e21), "1e+21");
  strictEqual(formatSampleValue(0.25), "0.25");
});
