-- Appends ARGV[2] vote messages to the list KEYS[1], in the vote app's format, from distinct
-- voters ARGV[1]..N, starting at number ARGV[3]. Run in chunks so Redis never blocks long.
local prefix, count, first = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local batch = {}
for i = first, first + count - 1 do
  local vote = (i % 2 == 0) and 'a' or 'b'
  batch[#batch + 1] = '{"voter_id":"' .. prefix .. i .. '","vote":"' .. vote .. '","seq":' .. i .. '}'
  if #batch == 1000 then
    redis.call('RPUSH', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('RPUSH', KEYS[1], unpack(batch)) end
return redis.call('LLEN', KEYS[1])
