-- Neovim 0.11+ configuration for iacperf, exactly as README.md ("Editors" > "Neovim") gives
-- it, plus the few lines a headless test needs. tests/editors/test_neovim.py fails when the
-- block between the README markers differs from the README's snippet.

-- Test isolation, not part of the user config: no swap, shada or "more" prompts.
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.more = false

-- >>> README snippet (Neovim 0.11+)
-- Terraform: Neovim gives a new, empty .tf file (or one of only comments) filetype "tf";
-- pin "terraform" so iacperf starts while you type the first block.
-- CloudFormation: YAML/JSON/.template files that declare AWS resources get the filetype
-- "yaml.cloudformation" or "json.cloudformation" (highlighting stays); all other YAML and
-- JSON keeps its filetype and never starts iacperf.
local function cloudformation(path, bufnr)
  if not bufnr then
    return nil
  end
  local head = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, 200, false), '\n')
  if
    not head:find('AWSTemplateFormatVersion', 1, true)
    and not head:find('["\']?Type["\']?%s*:%s*["\']?AWS::%w+::')
  then
    return nil
  end
  local json = path:find('%.json$') or head:find('^%s*{')
  return json and 'json.cloudformation' or 'yaml.cloudformation'
end

vim.filetype.add({
  extension = { tf = 'terraform', tfvars = 'terraform-vars' },
  pattern = {
    ['.*%.ya?ml'] = cloudformation,
    ['.*%.json'] = cloudformation,
    ['.*%.template'] = cloudformation,
  },
})

vim.lsp.config('iacperf', {
  cmd = { 'iacperf', 'lsp' },
  filetypes = { 'terraform', 'terraform-vars', 'yaml.cloudformation', 'json.cloudformation' },
  root_markers = { '.iacperf.yaml', '.iacperf.yml', '.git' },
})
vim.lsp.enable('iacperf')
-- <<< README snippet

-- The server under test: $IACPERF_LSP_CMD, a JSON list ('["python", "-m", "iacperf.server"]')
-- or a command line split on spaces. vim.lsp.config merges, so only `cmd` changes.
local server_cmd = vim.env.IACPERF_LSP_CMD
if server_cmd and server_cmd ~= '' then
  local cmd = vim.startswith(vim.trim(server_cmd), '[') and vim.json.decode(server_cmd)
    or vim.split(server_cmd, ' ', { trimempty = true })
  vim.lsp.config('iacperf', { cmd = cmd })
end
