-- A headless Neovim session with `fastapi-codemod server`, for a check
-- without a screen. Neovim 0.7 or later:
--
--   cp -r examples/blog_api /tmp/blog_api
--   FASTAPI_CODEMOD=target/release/fastapi-codemod \
--     nvim --headless -u NONE -c 'luafile editors/neovim/headless_demo.lua' \
--     /tmp/blog_api/app/api/routers/items.py
--
-- It starts the server on the file's project, waits for its diagnostics,
-- prints them, hovers the first, applies the quick fix of the first
-- `annotated-params` finding (resolved by the server), saves, and prints
-- the diagnostics the server publishes after the change.
local binary = os.getenv("FASTAPI_CODEMOD") or "fastapi-codemod"
local buffer = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(buffer)
local root = vim.fn.fnamemodify(file, ":h")
while root ~= "/" and vim.fn.filereadable(root .. "/pyproject.toml") == 0 do
  root = vim.fn.fnamemodify(root, ":h")
end
vim.bo[buffer].filetype = "python"

local function say(text)
  io.stdout:write(text .. "\n")
end

local client_id = vim.lsp.start_client({
  name = "fastapi-codemod",
  cmd = { binary, "server" },
  root_dir = root,
})
vim.lsp.buf_attach_client(buffer, client_id)
local client = vim.lsp.get_client_by_id(client_id)

local function diagnostics()
  return vim.diagnostic.get(buffer)
end

vim.wait(20000, function() return #diagnostics() > 0 end, 50)
say(("server: %s, root %s"):format(client.name, root))
say(("%d diagnostics in %s"):format(#diagnostics(), vim.fn.fnamemodify(file, ":t")))
local first
for _, diagnostic in ipairs(diagnostics()) do
  say(("  %d:%d %s %s"):format(diagnostic.lnum + 1, diagnostic.col + 1, diagnostic.code or "?", diagnostic.message))
  if not first and diagnostic.code == "annotated-params" then
    first = diagnostic
  end
end

local position = { line = first.lnum, character = first.col }
local hover = client.request_sync("textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(buffer) },
  position = position,
}, 10000, buffer)
say("hover: " .. vim.split(hover.result.contents.value, "\n")[1])

local answer = client.request_sync("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buffer) },
  range = { start = position, ["end"] = position },
  context = { diagnostics = {} },
}, 10000, buffer)
if answer.err then
  say("code actions failed: " .. vim.inspect(answer.err))
end
local actions = answer.result
say(("%d code actions at %d:%d:"):format(#actions, first.lnum + 1, first.col + 1))
local chosen
for _, action in ipairs(actions) do
  say(("  [%s] %s"):format(action.kind, action.title))
  if not chosen and action.kind == "quickfix" then
    chosen = action
  end
end
local resolved = client.request_sync("codeAction/resolve", chosen, 30000, buffer).result
vim.lsp.util.apply_workspace_edit(resolved.edit, client.offset_encoding or "utf-16")
vim.cmd("silent wall")
say("applied: " .. chosen.title)

local before = #diagnostics()
vim.wait(5000, function() return #diagnostics() ~= before end, 50)
say(("%d diagnostics after the fix (%d before)"):format(#diagnostics(), before))
vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
