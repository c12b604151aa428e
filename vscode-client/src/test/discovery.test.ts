// The discovery order, with every input faked: which source wins and what the user is told.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { DiscoveryInputs, discover, hasIacperf, INSTALL_HINT, which } from "../discovery";

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "iacperf-discovery-"));
const executable = path.join(folder, "iacperf");
fs.writeFileSync(executable, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
const plainFile = path.join(folder, "README");
fs.writeFileSync(plainFile, "not a program\n", { mode: 0o644 });

function inputs(overrides: Partial<DiscoveryInputs> = {}): DiscoveryInputs {
  return {
    serverPath: "",
    interpreter: "",
    pythonExtension: async () => undefined,
    which: () => undefined,
    hasIacperf: async () => false,
    ...overrides,
  };
}

test("the server.path setting wins over PATH and interpreters", async () => {
  const found = await discover(
    inputs({ serverPath: executable, which: () => "/usr/bin/iacperf", interpreter: "/usr/bin/python3" }),
  );
  assert.deepEqual(found, { command: executable, args: ["lsp"], origin: "setting iacperf.server.path" });
});

test("a server.path that is not executable is reported, not skipped", async () => {
  const found = await discover(inputs({ serverPath: plainFile, which: () => "/usr/bin/iacperf" }));
  assert.ok("message" in found);
  assert.match(found.message, /iacperf\.server\.path/);
  assert.ok(found.message.includes(plainFile) && found.message.includes(INSTALL_HINT));
});

test("iacperf on PATH comes next", async () => {
  const found = await discover(inputs({ which: (name) => (name === "iacperf" ? "/opt/bin/iacperf" : undefined) }));
  assert.deepEqual(found, { command: "/opt/bin/iacperf", args: ["lsp"], origin: "iacperf on PATH" });
});

test("the interpreter setting is used, not the Python extension's", async () => {
  let askedExtension = false;
  const found = await discover(
    inputs({
      interpreter: "/venv/bin/python",
      pythonExtension: async () => {
        askedExtension = true;
        return "/other/python";
      },
      hasIacperf: async (python) => python === "/venv/bin/python",
    }),
  );
  assert.deepEqual(found, {
    command: "/venv/bin/python",
    args: ["-m", "iacperf.server"],
    origin: "setting iacperf.interpreter (/venv/bin/python)",
  });
  assert.equal(askedExtension, false);
});

test("the Python extension's interpreter is the last resort", async () => {
  const found = await discover(
    inputs({ pythonExtension: async () => "/ext/python", hasIacperf: async (p) => p === "/ext/python" }),
  );
  assert.deepEqual(found, {
    command: "/ext/python",
    args: ["-m", "iacperf.server"],
    origin: "the Python extension's interpreter (/ext/python)",
  });
});

test("nothing found: one message naming what was tried and the install command", async () => {
  const found = await discover(inputs({ pythonExtension: async () => "/ext/python" }));
  assert.ok("message" in found);
  assert.equal(found.message.split("\n").length, 1);
  assert.ok(found.message.includes("/ext/python"));
  assert.ok(found.message.includes(`\`${INSTALL_HINT}\``));
  assert.ok(found.message.includes("iacperf.server.path"));
});

test("which() finds executables only, in PATH order", () => {
  const second = fs.mkdtempSync(path.join(os.tmpdir(), "iacperf-which-"));
  fs.writeFileSync(path.join(second, "iacperf"), "#!/bin/sh\n", { mode: 0o755 });
  fs.writeFileSync(path.join(second, "README"), "x", { mode: 0o644 });
  const env = { PATH: [path.join(folder, "missing"), folder, second].join(path.delimiter) };
  assert.equal(which("iacperf", env), executable);
  assert.equal(which("README", env), undefined);
  assert.equal(which("iacperf", { PATH: "" }), undefined);
});

test("hasIacperf() asks the interpreter: a missing one and a failing one both say no", async () => {
  assert.equal(await hasIacperf(path.join(folder, "no-such-python")), false);
  assert.equal(await hasIacperf("/bin/false"), false);
  assert.equal(await hasIacperf(executable), true); // exits 0, as a Python with iacperf would
});
