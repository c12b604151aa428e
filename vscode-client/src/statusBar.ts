// Status bar: the server's state and the number of iacperf findings in the active editor.
// Clicking it shows the output channel.
import * as vscode from "vscode";

export type ServerState = "starting" | "running" | "stopped" | "not found";

const ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin)",
  running: "$(pulse)",
  stopped: "$(debug-stop)",
  "not found": "$(error)",
};

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("iacperf.status", vscode.StatusBarAlignment.Left);
  private readonly listeners: vscode.Disposable[];
  private state: ServerState = "starting";

  constructor(private readonly source: string) {
    this.item.name = "iacperf";
    this.item.command = "iacperf.showOutput";
    this.listeners = [
      vscode.languages.onDidChangeDiagnostics(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
    ];
    this.render();
    this.item.show();
  }

  setState(state: ServerState): void {
    this.state = state;
    this.render();
  }

  /** iacperf findings in the active editor's document; undefined without one. */
  findingCount(): number | undefined {
    const document = vscode.window.activeTextEditor?.document;
    if (!document) return undefined;
    return vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === this.source).length;
  }

  private render(): void {
    const count = this.state === "running" ? this.findingCount() : undefined;
    const findings = count === undefined ? "" : ` ${count} ${count === 1 ? "finding" : "findings"}`;
    this.item.text = `${ICONS[this.state]} iacperf${findings}`;
    this.item.tooltip = `iacperf server: ${this.state}. Click to show its output.`;
    // Read by screen readers (and the end-to-end test) instead of the icon.
    const counted = count === undefined ? "" : `, ${findings.trim()} in the active file`;
    this.item.accessibilityInformation = { label: `iacperf server ${this.state}${counted}` };
    this.item.backgroundColor =
      this.state === "not found" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.listeners.forEach((listener) => listener.dispose());
    this.item.dispose();
  }
}
