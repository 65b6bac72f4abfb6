-- wrk script: posts pre-signed WAHA webhooks from a file (one "signature<TAB>body" per line),
-- each thread taking every n-th line so that no two requests carry the same event.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  signatures, bodies = {}, {}
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    signatures[#signatures + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  stride = tonumber(args[2])
  counter = 0
end

function request()
  local i = (tid + counter * stride) % #bodies + 1
  counter = counter + 1
  return wrk.format("POST", "/api/webhooks/whatsapp",
    { ["Content-Type"] = "application/json", ["X-Webhook-Hmac"] = signatures[i] }, bodies[i])
end
