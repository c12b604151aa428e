// What the server gets for `workspace/configuration`: its own keys, never the extension's.
import * as assert from "node:assert/strict";
import { test } from "node:test";

import { CLIENT_ONLY_KEYS, forServer } from "../settings";

test("client-only keys are removed from the iacperf section only", () => {
  const section = {
    select: ["PERF019"],
    reportUnknown: true,
    server: { path: "/x/iacperf" },
    interpreter: "/x/python",
    trace: { server: "verbose" },
  };
  const other = { server: { keep: 1 } };
  const params = { items: [{ section: "iacperf" }, { section: "editor" }, { section: "iacperf" }] };
  const answer = forServer(params, [section, other, null]);
  assert.deepEqual(answer, [{ select: ["PERF019"], reportUnknown: true }, other, null]);
  assert.deepEqual([...CLIENT_ONLY_KEYS].sort(), ["interpreter", "server", "trace"]);
});
