// Thin client: finds the iacperf language server, starts it over stdio and wires up
// commands and the status bar. All analysis stays in the Python server.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { discover, hasIacperf, which } from "./discovery";
import { pythonExtensionInterpreter } from "./python";
import { DOCUMENT_SELECTOR } from "./selector";
import { forServer, SECTION } from "./settings";
import { ServerState, StatusBar } from "./statusBar";

/** Diagnostics' `source` as the server sets it. */
const SOURCE = "iacperf";
/** The server's fix-all code action kind (server/lsp/code_actions.py). */
const FIX_ALL = vscode.CodeActionKind.SourceFixAll.append("iacperf");

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: StatusBar;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("iacperf");
  status = new StatusBar(SOURCE);
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("iacperf.restartServer", restart),
    vscode.commands.registerCommand("iacperf.fixAll", fixAll),
    vscode.commands.registerCommand("iacperf.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The server picks up its own settings; these two change which server runs.
      if (event.affectsConfiguration(`${SECTION}.server.path`) || event.affectsConfiguration(`${SECTION}.interpreter`)) {
        void restart();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(): Promise<void> {
  status.setState("starting");
  const config = vscode.workspace.getConfiguration(SECTION);
  const found = await discover({
    serverPath: config.get<string>("server.path", ""),
    interpreter: config.get<string>("interpreter", ""),
    pythonExtension: () => pythonExtensionInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri),
    which: (name) => which(name),
    hasIacperf,
  });
  if ("message" in found) {
    status.setState("not found");
    output.appendLine(found.message);
    void vscode.window.showErrorMessage(found.message, "Open Settings", "Show Output").then((choice) => {
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", SECTION);
      if (choice === "Show Output") output.show(true);
    });
    return;
  }
  output.appendLine(`Starting ${[found.command, ...found.args].join(" ")} (${found.origin})`);
  // No `transport`: stdio all the same, without the `--stdio` flag that `iacperf lsp` rejects.
  const serverOptions: ServerOptions = { command: found.command, args: found.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    diagnosticCollectionName: SOURCE,
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // Tells the server when a setting changes; it then asks with workspace/configuration.
    synchronize: { configurationSection: SECTION },
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          return Array.isArray(answer) ? forServer(params, answer) : answer;
        },
      },
    },
  };
  // The id "iacperf" makes the client read `iacperf.trace.server`.
  const started = new LanguageClient("iacperf", "iacperf", serverOptions, clientOptions);
  started.onDidChangeState((event) => status.setState(stateName(event.newState)));
  client = started;
  try {
    await started.start();
  } catch (error) {
    status.setState("stopped");
    output.appendLine(`iacperf: the server did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  // dispose() stops the server and drops the old client's listeners; a crashed server has
  // nothing left to stop.
  await running?.dispose().catch(() => undefined);
}

async function restart(): Promise<void> {
  await stop();
  await start(); // discovery again: the setting or the installation may have changed
}

/** Applies the server's `source.fixAll.iacperf` action to the active file. */
async function fixAll(): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document) return;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      whole,
      FIX_ALL.value,
    )) ?? [];
  const edits = actions.filter((action) => action.kind && FIX_ALL.contains(action.kind) && action.edit);
  if (edits.length === 0) {
    void vscode.window.showInformationMessage("iacperf: no safe fixes in this file.");
    return;
  }
  for (const action of edits) {
    await vscode.workspace.applyEdit(action.edit as vscode.WorkspaceEdit);
  }
}

function stateName(state: State): ServerState {
  switch (state) {
    case State.Running:
      return "running";
    case State.Starting:
      return "starting";
    case State.Stopped:
      return "stopped";
  }
}
