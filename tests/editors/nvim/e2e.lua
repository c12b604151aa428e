-- Headless end-to-end run of iacperf through Neovim's own LSP client, driven the way a user
-- works: open files, read diagnostics, hover (the floating window), pick the quick fix from
-- the code action menu, :write, then edit one file of another module (unsaved). Every
-- observation goes to a JSON file that tests/editors/test_neovim.py checks; this script
-- only waits and records.
--
-- Environment:
--   IACPERF_E2E_WORKSPACE  workspace folder (a copy of tests/editors/workspace)
--   IACPERF_E2E_TARGET     "relative/path:line:col" (0-based) of the finding to hover and fix
--   IACPERF_E2E_OTHERS     comma-separated relative paths to open afterwards
--   IACPERF_E2E_FIX        title prefix of the code action to choose
--   IACPERF_E2E_MODULE     "checked.tf:edited.tf": two files of one Terraform module; the
--                          lines of IACPERF_E2E_MODULE_EDIT are appended to the second
--                          (unsaved) and the first should lose its findings
--   IACPERF_E2E_OUT        where to write the JSON result
--   IACPERF_E2E_TIMEOUT_MS one wait's limit (default 10000); the watchdog allows three times that
-- Exit code: 0 every step ran, 1 a step failed, 2 the watchdog fired.
local TIMEOUT_MS = tonumber(vim.env.IACPERF_E2E_TIMEOUT_MS or '10000')
local root = assert(vim.env.IACPERF_E2E_WORKSPACE, 'IACPERF_E2E_WORKSPACE not set')
local target_file, target_line, target_col =
  assert(vim.env.IACPERF_E2E_TARGET, 'IACPERF_E2E_TARGET not set'):match('^(.+):(%d+):(%d+)$')
target_line, target_col = tonumber(target_line), tonumber(target_col)
local others = vim.split(vim.env.IACPERF_E2E_OTHERS or '', ',', { trimempty = true })
local fix_prefix = assert(vim.env.IACPERF_E2E_FIX, 'IACPERF_E2E_FIX not set')
local out_path = assert(vim.env.IACPERF_E2E_OUT, 'IACPERF_E2E_OUT not set')
local module_checked, module_edited = (vim.env.IACPERF_E2E_MODULE or ''):match('^(.+):(.+)$')
local module_edit = vim.split(vim.env.IACPERF_E2E_MODULE_EDIT or '', '\n', { trimempty = true })
local MODULE_WAIT_MS = 3000

local v = vim.version()
local result = {
  nvim = ('%d.%d.%d'):format(v.major, v.minor, v.patch),
  steps = {},
  files = {},
  trace = {},
}

vim.lsp.log.set_level(vim.log.levels.DEBUG) -- the test prints lsp.log when a step fails

local function write_result(ok, err)
  result.ok = ok
  result.error = err
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
end

local watchdog = assert(vim.uv.new_timer())
watchdog:start(
  TIMEOUT_MS * 3,
  0,
  vim.schedule_wrap(function()
    pcall(write_result, false, 'watchdog timeout after step ' .. tostring(result.steps[#result.steps]))
    vim.cmd('cquit 2')
  end)
)

-- Record every diagnostics message the client receives, pushed or pulled.
local function traced(method, describe)
  local handler = vim.lsp.handlers[method]
  vim.lsp.handlers[method] = function(err, res, ctx, config)
    local entry = describe(res, ctx)
    entry.method = method
    entry.error = err and err.message or nil
    table.insert(result.trace, entry)
    return handler(err, res, ctx, config)
  end
end

traced('textDocument/publishDiagnostics', function(res)
  return {
    file = vim.fs.basename(vim.uri_to_fname(res.uri)),
    version = res.version,
    count = #res.diagnostics,
  }
end)
traced('textDocument/diagnostic', function(res, ctx)
  return {
    file = vim.fs.basename(vim.api.nvim_buf_get_name(ctx.bufnr)),
    kind = res and res.kind,
    count = res and res.items and #res.items or nil,
  }
end)

local function check(cond, message)
  if not cond then
    error(message, 0)
  end
end

local function wait(what, condition)
  check(vim.wait(TIMEOUT_MS, condition, 20), 'timed out waiting for ' .. what)
end

local started_at = vim.uv.now()
local function step(name)
  table.insert(result.steps, name)
  result.step_ms = result.step_ms or {}
  result.step_ms[name] = vim.uv.now() - started_at
end

local function iacperf_client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'iacperf' })[1]
end

local function iacperf_diagnostics(bufnr, lnum)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = lnum })) do
    if d.source == 'iacperf' then
      table.insert(found, d)
    end
  end
  return found
end

local function describe_diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(iacperf_diagnostics(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      source = d.source,
      code = d.code,
      message = d.message,
      range = lsp.range,
      href = lsp.codeDescription and lsp.codeDescription.href,
      has_data = lsp.data ~= nil,
    })
  end
  table.sort(out, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return out
end

local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(root, relative)))
  local bufnr = vim.api.nvim_get_current_buf()
  local file = { filetype = vim.bo[bufnr].filetype, clients = {} }
  for _, c in ipairs(vim.lsp.get_clients({ bufnr = bufnr, _uninitialized = true })) do
    table.insert(file.clients, c.name)
  end
  result.files[relative] = file
  return bufnr, file
end

local function hover_text()
  local before = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    before[win] = true
  end
  vim.lsp.buf.hover()
  local float
  wait('the hover window', function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if not before[win] and vim.api.nvim_win_get_config(win).relative ~= '' then
        float = win
        return true
      end
    end
    return false
  end)
  local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false)
  vim.api.nvim_win_close(float, true)
  return table.concat(lines, '\n')
end

-- Choose from the code action menu as a user would; remember what it offered.
local function choose_code_action()
  local chosen = false
  local original = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    result.code_actions = {}
    local pick
    for _, item in ipairs(items) do
      local action = item.action
      table.insert(result.code_actions, {
        title = action.title,
        kind = action.kind,
        preferred = action.isPreferred or false,
      })
      if not pick and vim.startswith(action.title, fix_prefix) then
        pick = item
      end
    end
    vim.ui.select = original
    chosen = true
    on_choice(pick, pick and 1 or nil)
  end
  vim.lsp.buf.code_action()
  wait('the code action menu', function()
    return chosen
  end)
end

local function run()
  -- 1. The Terraform file: filetype, attach, root folder, diagnostics.
  local bufnr, file = open(target_file)
  wait('the iacperf client to initialize', function()
    local c = iacperf_client(bufnr)
    return c ~= nil and c.initialized == true
  end)
  local client = assert(iacperf_client(bufnr))
  file.clients = { client.name }
  result.client = {
    id = client.id,
    server_info = client.server_info,
    root_dir = client.root_dir,
    workspace_folders = client.workspace_folders,
    offset_encoding = client.offset_encoding,
  }
  step('attached')
  wait('iacperf diagnostics', function()
    return #iacperf_diagnostics(bufnr) > 0
  end)
  file.diagnostics = describe_diagnostics(bufnr)
  step('diagnostics')

  -- 2. Other files: CloudFormation attaches to the same client, plain YAML/JSON does not.
  for _, relative in ipairs(others) do
    local other, info = open(relative)
    local c = iacperf_client(other)
    info.client_id = c and c.id
    if c then
      wait('iacperf diagnostics in ' .. relative, function()
        return #iacperf_diagnostics(other) > 0
      end)
      info.diagnostics = describe_diagnostics(other)
    end
  end
  step('other_files')

  -- 3. Hover the finding (vim.lsp.buf.hover opens the floating window a user reads).
  vim.cmd.buffer(bufnr)
  vim.api.nvim_win_set_cursor(0, { target_line + 1, target_col })
  result.hover = hover_text()
  step('hover')

  -- 4. The quick fix, from the code action menu.
  local tick = vim.b[bufnr].changedtick
  choose_code_action()
  wait('the quick fix edit', function()
    return vim.b[bufnr].changedtick ~= tick
  end)
  step('code_action')

  -- 5. :write
  vim.cmd.write()
  result.modified_after_write = vim.bo[bufnr].modified
  step('write')

  -- 6. The server re-analyses the edited text: the fixed line has no finding any more.
  wait('the fixed line to lose its diagnostic', function()
    return #iacperf_diagnostics(bufnr, target_line) == 0
  end)
  vim.wait(200) -- anything still in flight would show here
  result.diagnostics_after_fix = describe_diagnostics(bufnr)
  step('diagnostics_cleared')

  -- 7. A Terraform module is a folder: an edit in one open file re-checks the others.
  if module_checked then
    local checked = open(module_checked)
    wait('iacperf diagnostics in ' .. module_checked, function()
      return #iacperf_diagnostics(checked) > 0
    end)
    result.files[module_checked].diagnostics = describe_diagnostics(checked)
    local edited = open(module_edited) -- edited, never written
    vim.api.nvim_buf_set_lines(edited, -1, -1, false, module_edit)
    local started = vim.uv.now()
    local cleared = vim.wait(MODULE_WAIT_MS, function()
      return #iacperf_diagnostics(checked) == 0
    end, 20)
    result.module_cleared_ms = cleared and vim.uv.now() - started or vim.NIL
    result.files[module_checked].diagnostics_after_edit = describe_diagnostics(checked)
    step('module_edit')
  end
end

local function finish(ok, err)
  pcall(write_result, ok, err)
  for _, c in ipairs(vim.lsp.get_clients()) do
    c:stop()
  end
  vim.wait(3000, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
  vim.cmd(ok and 'qall!' or 'cquit 1')
end

local ok, err = xpcall(run, debug.traceback)
finish(ok, not ok and err or nil)
