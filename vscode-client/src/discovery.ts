// Where the language server comes from, in the documented order: the `iacperf.server.path`
// setting, `iacperf` on PATH, then `python -m iacperf.server` with the `iacperf.interpreter`
// setting or the Python extension's interpreter. No vscode import: the order is unit-tested.
import * as fs from "fs";
import * as path from "path";
import { execFile } from "child_process";

export interface ServerCommand {
  command: string;
  args: string[];
  /** How it was found, shown in the output channel. */
  origin: string;
}

export interface NotFound {
  /** One line for the user: what was tried and how to install. */
  message: string;
}

export interface DiscoveryInputs {
  serverPath: string;
  interpreter: string;
  /** The Python extension's selected interpreter; undefined when it is not installed. */
  pythonExtension: () => Promise<string | undefined>;
  /** An executable of that name on PATH, or undefined. */
  which: (name: string) => string | undefined;
  /** Whether `python` can import iacperf's server. */
  hasIacperf: (python: string) => Promise<boolean>;
}

export const INSTALL_HINT = "pip install iacperf";

export async function discover(inputs: DiscoveryInputs): Promise<ServerCommand | NotFound> {
  const configured = inputs.serverPath.trim();
  if (configured) {
    if (isExecutable(configured)) {
      return { command: configured, args: ["lsp"], origin: "setting iacperf.server.path" };
    }
    return {
      message: `iacperf: the server set in iacperf.server.path (${configured}) is not an executable file. Install it with \`${INSTALL_HINT}\` and point the setting at its iacperf executable, or clear the setting.`,
    };
  }
  const onPath = inputs.which("iacperf");
  if (onPath) {
    return { command: onPath, args: ["lsp"], origin: "iacperf on PATH" };
  }
  const tried: string[] = [];
  const candidates: Array<[string | undefined, string]> = [
    [inputs.interpreter.trim() || undefined, "setting iacperf.interpreter"],
  ];
  if (!inputs.interpreter.trim()) {
    candidates.push([await inputs.pythonExtension(), "the Python extension's interpreter"]);
  }
  for (const [python, origin] of candidates) {
    if (!python) continue;
    if (await inputs.hasIacperf(python)) {
      return { command: python, args: ["-m", "iacperf.server"], origin: `${origin} (${python})` };
    }
    tried.push(python);
  }
  const where = tried.length ? ` and not in ${tried.join(", ")}` : "";
  return {
    message: `iacperf: the language server is not installed (no iacperf on PATH${where}). Install it with \`${INSTALL_HINT}\`, then run "iacperf: Restart Server"; or set iacperf.server.path.`,
  };
}

/** PATH lookup as a shell does it, without spawning one. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const folder of (env.PATH ?? "").split(path.delimiter)) {
    if (!folder) continue;
    for (const extension of extensions) {
      const candidate = path.join(folder, name + extension);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Asks the interpreter itself; a broken or missing one counts as "no". */
export function hasIacperf(python: string): Promise<boolean> {
  const probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('iacperf.server') is None)";
  return new Promise((resolve) => {
    execFile(python, ["-c", probe], { timeout: 15000 }, (error) => resolve(error === null));
  });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
