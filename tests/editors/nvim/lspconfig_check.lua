-- Runs README's two Neovim snippets and reports what each would start, so the test can
-- check that the nvim-lspconfig variant (not installable here) matches the tested 0.11 one.
-- nvim-lspconfig is replaced by a stand-in with its public shape: `lspconfig.configs`,
-- `lspconfig.util.root_pattern` and `require('lspconfig')[name].setup()`.
--
-- Usage: nvim --headless --clean -l lspconfig_check.lua SNIPPET_0_11 SNIPPET_LSPCONFIG OUT
local snippet, legacy, out_path = arg[1], arg[2], arg[3]

local configs = {}
local seen = { root_pattern = nil, setup = {} }

package.preload['lspconfig.configs'] = function()
  return configs
end
package.preload['lspconfig.util'] = function()
  return {
    root_pattern = function(...)
      seen.root_pattern = { ... }
      return function() end
    end,
  }
end
package.preload['lspconfig'] = function()
  return setmetatable({ util = require('lspconfig.util') }, {
    __index = function(_, name)
      local config = configs[name]
      return config and {
        setup = function(opts)
          table.insert(seen.setup, { name = name, opts = opts })
        end,
      }
    end,
  })
end

dofile(snippet)
local native = vim.lsp.config.iacperf
dofile(legacy)
local default = configs.iacperf and configs.iacperf.default_config or {}

local f = assert(io.open(out_path, 'w'))
f:write(vim.json.encode({
  native = {
    cmd = native.cmd,
    filetypes = native.filetypes,
    root_markers = native.root_markers,
    enabled = vim.lsp.is_enabled('iacperf'),
  },
  lspconfig = {
    cmd = default.cmd,
    filetypes = default.filetypes,
    root_pattern = seen.root_pattern,
    single_file_support = default.single_file_support,
    setup = vim.tbl_map(function(s)
      return s.name
    end, seen.setup),
  },
}))
f:close()
