// Drives a real VS Code (code-server's workbench) in Debian's Chromium the way a user works:
// open files with Quick Open, read squiggles, the Problems panel and the status bar, show the
// hover, pick the quick fix from the lightbulb menu, save, run "Fix All", edit one file of a
// Terraform module and watch the other, then break the server setting. It only waits and
// records; tests/editors/test_vscode.py checks what it recorded and what reached the disk.
//
// Usage: node drive.js CONFIG.json   (written by the test; keys below)
//   url, workspace, outDir, settingsFile, chromium,
//   target: {file, line, column}  1-based place of the finding to hover and fix
//   fixTitle, cfnFile, notIacFile, module: {checked, edited, append}, brokenServerPath,
//   realServerPath, logsDir (VS Code's logs folder, where the output channel is written)
// Exit code 0: every step ran; 1: a step failed (result.error says which). Screenshots and
// result.json go to outDir.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const T = Number(process.env.IACPERF_E2E_TIMEOUT_MS || 30000);
const started = Date.now();
const result = { steps: [], timings: {}, files: {} };

function mark(step) {
  result.steps.push(step);
  result.timings[step] = Date.now() - started;
  console.log(`[${result.timings[step]} ms] ${step}`);
}

async function waitFor(what, check, timeout = T) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const EDITOR = ".editor-group-container.active .monaco-editor";

async function editorText(page) {
  // Monaco renders lines out of DOM order: sort them by their CSS top.
  return page.$$eval(`${EDITOR} .view-lines .view-line`, (lines) =>
    lines
      .map((line) => [parseFloat(line.style.top) || 0, line.innerText.replace(/\u00a0/g, " ")])
      .sort((a, b) => a[0] - b[0])
      .map((entry) => entry[1])
      .join("\n"),
  );
}

const squiggles = (page) => page.locator(`${EDITOR} .squiggly-warning, ${EDITOR} .squiggly-error`).count();

// The extension's status bar item, by its accessible label ("iacperf server running, 2
// findings in the active file"): the visible text starts with an icon.
async function statusText(page) {
  const item = page.locator('.statusbar [aria-label^="iacperf server"]').first();
  return (await item.count()) ? (await item.getAttribute("aria-label")) || "" : "";
}

async function problems(page) {
  return (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
}

async function quickOpen(page, relative) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: T });
  await input.fill(relative);
  // The row of that file: its name, and its folder as the description (several main.tf).
  const name = path.basename(relative);
  const row = page
    .locator(".quick-input-list .monaco-list-row")
    .filter({ has: page.locator(".label-name", { hasText: new RegExp(`^${name.replace(/\./g, "\\.")}$`) }) })
    .filter({ has: page.locator(".label-description", { hasText: path.dirname(relative) }) })
    .first();
  await row.waitFor({ timeout: T });
  await row.click();
  await page.locator(`.tab.active:has-text("${name}")`).waitFor({ timeout: T });
  await page.locator(".breadcrumbs-control", { hasText: path.dirname(relative) }).first().waitFor({ timeout: T });
  await page.locator(`${EDITOR} .view-line`).first().waitFor({ timeout: T });
}

async function goTo(page, line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: T });
  await input.fill(`:${line}:${column}`); // the ":" prefix is go-to-line
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: T });
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: T });
  await input.fill(`>${title}`);
  await page.locator(`.quick-input-list .monaco-list-row:has-text("${title}")`).first().waitFor({ timeout: T });
  await page.keyboard.press("Enter");
}

function waitForDisk(file, predicate, what) {
  return waitFor(what, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    return text !== null && predicate(text) ? text : null;
  });
}

async function fileState(page) {
  return {
    squiggles: await squiggles(page),
    errors: await page.locator(`${EDITOR} .squiggly-error`).count(),
    status: await statusText(page),
    text: await editorText(page),
  };
}

async function run(page) {
  const outDir = config.outDir;
  const shot = (name) => page.screenshot({ path: path.join(outDir, name) });
  await page.goto(config.url, { waitUntil: "domcontentloaded", timeout: T });
  await page.waitForSelector(".monaco-workbench", { timeout: T });
  await page.waitForSelector('.explorer-folders-view .label-name:has-text("infra")', { timeout: T });
  mark("workbench");

  // 1. The Terraform file: two gp2 volumes, two squiggles, two Problems rows.
  const target = config.target;
  await quickOpen(page, target.file);
  mark("opened_terraform");
  await waitFor("two squiggles in the Terraform file", async () => (await squiggles(page)) === 2);
  await waitFor("the status bar's finding count", async () => /2 findings/.test(await statusText(page)));
  result.files[target.file] = await fileState(page);
  mark("squiggles");
  await page.keyboard.press("Control+Shift+M");
  await waitFor("two PERF019 rows in Problems", async () => (await problems(page)).filter((r) => r.includes("PERF019")).length === 2);
  result.problems = await problems(page);
  mark("problems");
  await shot("vscode-problems.png");

  // 2. Hover the first finding (Ctrl+K Ctrl+I shows the hover at the cursor).
  await page.locator(`${EDITOR} .view-lines`).click();
  await goTo(page, target.line, target.column);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = page.locator('.monaco-hover:visible:has-text("PERF019")').first();
  await hover.waitFor({ timeout: T });
  await waitFor("the server's markdown in the hover", async () => /Well-Architected|PERF0\d-BP\d\d/.test(await hover.innerText()));
  result.hover = await hover.innerText();
  result.hover_links = await hover.locator("a").evaluateAll((links) =>
    links.map((a) => ({ text: a.innerText, href: a.getAttribute("data-href") || a.getAttribute("href") || "" })),
  );
  mark("hover");
  await shot("vscode-hover.png");
  await page.keyboard.press("Escape");

  // 3. The quick fix from the lightbulb menu (Ctrl+.), then save.
  await goTo(page, target.line, target.column);
  await page.keyboard.press("Control+.");
  const rows = page.locator(".action-widget .monaco-list-row");
  await page.locator(`.action-widget .monaco-list-row:has-text("${config.fixTitle}")`).first().waitFor({ timeout: T });
  result.code_actions = (await rows.allInnerTexts()).map((t) => t.trim());
  // The menu is keyboard driven (an overlay eats clicks): focus our row, then Enter.
  for (let i = 0; i < 20; i++) {
    const focused = await page.locator(".action-widget .monaco-list-row.focused").first().innerText().catch(() => "");
    if (focused.includes(config.fixTitle)) break;
    await page.keyboard.press("ArrowDown");
  }
  await page.keyboard.press("Enter");
  await waitFor("one squiggle left after the quick fix", async () => (await squiggles(page)) === 1);
  await waitFor("the status bar's count after the fix", async () => /1 finding\b/.test(await statusText(page)));
  result.after_quick_fix = await fileState(page);
  mark("quick_fix");
  const targetPath = path.join(config.workspace, target.file);
  const original = fs.readFileSync(targetPath, "utf8");
  await page.keyboard.press("Control+S");
  result.saved_after_quick_fix = await waitForDisk(targetPath, (text) => text !== original, "the quick fix on disk");
  mark("saved");
  await shot("vscode-quick-fix.png");

  // 4. "iacperf: Fix All Safe Findings in File" fixes the other volume; save again.
  await runCommand(page, "iacperf: Fix All Safe Findings in File");
  await waitFor("no squiggle after fix all", async () => (await squiggles(page)) === 0);
  await waitFor("0 findings in the status bar", async () => /0 findings/.test(await statusText(page)));
  await page.keyboard.press("Control+S");
  const quickFixed = result.saved_after_quick_fix;
  result.saved_after_fix_all = await waitForDisk(targetPath, (text) => text !== quickFixed, "fix all on disk");
  result.after_fix_all = await fileState(page);
  mark("fix_all");

  // 5. The CloudFormation template, and a YAML file that is not one.
  await quickOpen(page, config.cfnFile);
  await waitFor("a squiggle in the CloudFormation template", async () => (await squiggles(page)) === 1);
  await waitFor("1 finding in the status bar", async () => /1 finding\b/.test(await statusText(page)));
  result.files[config.cfnFile] = await fileState(page);
  result.problems_cfn = await problems(page);
  mark("cloudformation");
  await shot("vscode-cloudformation.png");
  await quickOpen(page, config.notIacFile);
  await waitFor("the status bar's count for a plain YAML file", async () => /0 findings/.test(await statusText(page)));
  await page.waitForTimeout(1500); // a finding would have arrived by now
  result.files[config.notIacFile] = await fileState(page);
  mark("not_iac");

  // 6. One module, two files: an S3 endpoint typed into one answers PERF046 in the other.
  const module = config.module;
  await quickOpen(page, module.checked);
  await waitFor("PERF046 on the NAT gateway", async () => (await squiggles(page)) === 1);
  await waitFor("PERF046 in Problems", async () => (await problems(page)).some((r) => r.includes("PERF046")));
  result.files[module.checked] = await fileState(page);
  result.problems_module = await problems(page);
  mark("module_finding");
  await quickOpen(page, module.edited);
  await page.locator(`${EDITOR} .view-lines`).click();
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText(module.append);
  await waitFor("the typed endpoint in the editor", async () => (await editorText(page)).includes("aws_vpc_endpoint"));
  await quickOpen(page, module.checked);
  await waitFor("PERF046 gone after editing the other file", async () => (await squiggles(page)) === 0, T);
  await waitFor("PERF046 gone from Problems", async () => !(await problems(page)).some((r) => r.includes("PERF046")));
  result.module_after_edit = await fileState(page);
  result.module_edited_on_disk = fs.readFileSync(path.join(config.workspace, module.edited), "utf8");
  mark("module_cross_file");
  await shot("vscode-module.png");

  // 7. A server path that does not exist: one error notification with the install command.
  result.status_before_break = await statusText(page);
  // Through the Settings editor, as a user would: search the setting, type the path.
  await runCommand(page, "Preferences: Open User Settings");
  await page.locator(".settings-editor").waitFor({ timeout: T });
  await page.keyboard.type("iacperf.server.path");
  // A machine-overridable setting: in a remote window (code-server is one) it lives under
  // "Remote", not "User".
  await page.locator('.settings-tabs-widget .action-label:has-text("Remote")').click();
  const field = page.locator('.settings-editor .setting-item-text:has-text("Server") input').first();
  await field.waitFor({ timeout: T });
  await field.fill(config.brokenServerPath);
  await page.keyboard.press("Tab");
  await waitForDisk(config.settingsFile, (text) => text.includes(config.brokenServerPath), "the setting in the remote settings.json");
  const toast = page.locator('.notification-toast:has-text("iacperf")');
  await toast.first().waitFor({ timeout: T });
  await waitFor("the status bar's 'not found'", async () => /not found/.test(await statusText(page)));
  await page.waitForTimeout(1000); // a second message would show up now
  result.notifications = (await page.locator(".notification-toast").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
  result.status_not_found = await statusText(page);
  mark("not_found");
  await shot("vscode-not-found.png");

  // 8. The setting pointed at the real server: it starts again; "Restart Server" restarts it
  // and "Show Output" shows its channel.
  await field.fill(config.realServerPath);
  await page.keyboard.press("Tab");
  await waitFor("the server running again", async () => /running/.test(await statusText(page)));
  // Back to the template's tab (the Settings editor keeps the keyboard focus for itself).
  await page.locator(`.tab:has-text("${path.basename(config.cfnFile)}")`).click();
  await page.locator(`${EDITOR} .view-lines`).click();
  await waitFor("the template's finding again", async () => (await squiggles(page)) === 1);
  await runCommand(page, "iacperf: Restart Server");
  await waitFor("the restart in the output", () => {
    const log = outputLog();
    return log && log.split("\n").filter((l) => l.startsWith("Starting ")).length >= 3;
  });
  await waitFor("running after the restart", async () => /running, 1 finding\b/.test(await statusText(page)));
  await waitFor("the template's finding after the restart", async () => (await squiggles(page)) === 1);
  result.status_after_restart = await statusText(page);
  await runCommand(page, "iacperf: Show Output");
  const channel = page.locator(".panel .monaco-select-box").first();
  await channel.waitFor({ timeout: T });
  await waitFor("the iacperf channel in the Output panel", async () => (await channel.inputValue().catch(() => "")) === "iacperf" || (await channel.getAttribute("title")) === "iacperf");
  result.output_channel = (await channel.getAttribute("title")) || (await channel.inputValue());
  result.output_starts = outputLog().split("\n").filter((l) => l.startsWith("Starting ") || l.startsWith("iacperf: "));
  mark("restart");
  await shot("vscode-output.png");
}

/** The iacperf output channel, as VS Code writes it under the logs folder. */
function outputLog() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^\d+-iacperf\.log$/.test(entry.name)) found.push(full);
    }
  };
  if (fs.existsSync(config.logsDir)) walk(config.logsDir);
  return found.length ? fs.readFileSync(found[0], "utf8") : "";
}

(async () => {
  fs.mkdirSync(config.outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "iacperf-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = browser.pages()[0] || (await browser.newPage());
  page.on("pageerror", (error) => console.log("pageerror:", String(error).slice(0, 300)));
  let ok = false;
  try {
    await run(page);
    ok = true;
  } catch (error) {
    result.error = `${result.steps.length ? `after step ${result.steps.at(-1)}: ` : ""}${String(error).slice(0, 3000)}`;
    console.log("FAIL:", result.error);
    await page.screenshot({ path: path.join(config.outDir, "vscode-failure.png") }).catch(() => undefined);
    result.problems_at_failure = await problems(page).catch(() => []);
    result.status_at_failure = await statusText(page).catch(() => "");
  } finally {
    result.ok = ok;
    result.total_ms = Date.now() - started;
    fs.writeFileSync(path.join(config.outDir, "result.json"), JSON.stringify(result, null, 2));
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(ok ? 0 : 1);
  }
})();
