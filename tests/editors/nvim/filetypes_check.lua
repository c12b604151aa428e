-- The filetype each sample file gets from Neovim alone and then with README's snippet, so
-- the test can check that the snippet catches Terraform and CloudFormation and leaves every
-- other YAML/JSON file the filetype Neovim gave it.
--
-- Usage: nvim --headless --clean -l filetypes_check.lua SNIPPET SAMPLE_DIR OUT
local snippet, samples, out_path = arg[1], arg[2], arg[3]

local files = vim.fs.find(function()
  return true
end, { path = samples, type = 'file', limit = math.huge })

local function detect()
  local found = {}
  for _, path in ipairs(files) do
    local bufnr = vim.fn.bufadd(path)
    vim.fn.bufload(bufnr) -- loads the text without running FileType autocommands
    found[vim.fs.relpath(samples, path) or path] = vim.filetype.match({ buf = bufnr }) or ''
  end
  return found
end

local before = detect()
dofile(snippet)
local after = detect()

local f = assert(io.open(out_path, 'w'))
f:write(vim.json.encode({ before = before, after = after }))
f:close()
