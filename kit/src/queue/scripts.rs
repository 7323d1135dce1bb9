//! The Lua scripts that move messages. Each runs atomically, so a message is always in exactly
//! one place: the queue, one processing list, or the dead letters. `super::commands` calls
//! them with their keys and arguments.

/// Pushes the vote app's messages: ARGV holds each one up to its `seq`
/// ([`super::VoteMessage::head`]); the script completes them with consecutive numbers from
/// Redis's clock in microseconds, forced to grow by at least one per vote past the last `seq`
/// handed out (`KEYS[2]`), and appends them all to the queue (`KEYS[1]`) in one RPUSH. So the order
/// of `seq` is the order of the queue whichever vote app replica pushed, and it keeps growing
/// when Redis is re-created empty (a counter would restart at 1 and make new votes look older
/// than the rows already in PostgreSQL). `%.0f` because Lua's default number format loses
/// digits above 14. Returns the first vote's `seq`.
pub const ENQUEUE: &str = r"
local now = redis.call('TIME')
local first = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if first <= last then first = last + 1 end
local messages = {}
for i, head in ipairs(ARGV) do
  messages[i] = head .. string.format('%.0f', first + i - 1) .. '}'
end
redis.call('SET', KEYS[2], string.format('%.0f', first + #ARGV - 1))
redis.call('RPUSH', KEYS[1], unpack(messages))
return first
";

/// Moves the head of the queue (`KEYS[1]`) to the tail of the processing list (`KEYS[2]`): at most
/// `ARGV[1]` messages and, past the first, `ARGV[2]` bytes. A message over `ARGV[3]` bytes never
/// leaves Redis: it is replaced by a summary in the dead letters (`KEYS[3]`) with reason `ARGV[5]`
/// and its first `ARGV[6]` bytes, printable ASCII kept and the rest shown as `?`, the shape of
/// [`super::DeadLetter`]. The head is read in chunks that double from one
/// message up to 64 and fall back to one after a message too large, and the call ends once
/// `ARGV[4]` bytes were read: one call stays short (a few tens of ms) however big the messages
/// are, since each is copied into Lua to learn its size.
///
/// A message without `seq` (the original vote app's) that is a JSON object with string
/// `voter_id` and `vote` gets one here, from the clock the vote app numbers its messages with
/// (`KEYS[4]`: max(Redis time in µs, last + 1)), spliced in before its final `}`: several workers
/// then apply one voter's votes in the order they were taken. `%.0f` because Lua's default
/// number format loses digits above 14.
///
/// Returns the messages taken, and how many were dead-lettered.
pub const TAKE: &str = r#"
local max_count = tonumber(ARGV[1])
local max_bytes = tonumber(ARGV[2])
local max_message = tonumber(ARGV[3])
local max_scan = tonumber(ARGV[4])
local shown = tonumber(ARGV[6])
local taken, dead = {}, {}
local bytes, scanned, consumed = 0, 0, 0
local next_seq, last_seq
local full = false

local function numbered(item)
  if string.find(item, '"seq"', 1, true) then return item end
  local ok, fields = pcall(cjson.decode, item)
  if not ok or type(fields) ~= 'table' or type(fields.voter_id) ~= 'string'
      or type(fields.vote) ~= 'string' then
    return item
  end
  local head = string.match(item, '^(.*)}%s*$')
  if not head then return item end
  if not next_seq then
    local now = redis.call('TIME')
    next_seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
    local last = tonumber(redis.call('GET', KEYS[4]) or '0')
    if next_seq <= last then next_seq = last + 1 end
  end
  last_seq = next_seq
  next_seq = next_seq + 1
  return head .. ',"seq":' .. string.format('%.0f', last_seq) .. '}'
end

local chunk = 1
while not full and scanned < max_scan do
  local items = redis.call('LRANGE', KEYS[1], consumed, consumed + chunk - 1)
  if #items == 0 then break end
  chunk = math.min(chunk * 2, 64)
  for _, item in ipairs(items) do
    local size = #item
    if size > max_message then
      local preview = string.gsub(string.sub(item, 1, shown), '[^ -~]', '?')
      dead[#dead + 1] = cjson.encode({reason = ARGV[5], bytes = size, message = preview})
      chunk = 1
    elseif #taken >= max_count or (#taken > 0 and bytes + size > max_bytes) then
      full = true
      break
    else
      taken[#taken + 1] = numbered(item)
      bytes = bytes + size
    end
    consumed = consumed + 1
    scanned = scanned + size
    if scanned >= max_scan then
      full = true
      break
    end
  end
end

if consumed > 0 then redis.call('LTRIM', KEYS[1], consumed, -1) end
for i = 1, #taken, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(taken, i, math.min(i + 999, #taken)))
end
for i = 1, #dead, 1000 do
  redis.call('RPUSH', KEYS[3], unpack(dead, i, math.min(i + 999, #dead)))
end
if last_seq then redis.call('SET', KEYS[4], string.format('%.0f', last_seq)) end
return {taken, #dead}
"#;

/// After a commit: pushes the dead letters (ARGV) to `KEYS[2]` and deletes the processing list
/// `KEYS[1]`, only if that list still exists. If it does not, another worker recovered the batch
/// (its messages are back in the queue, and whoever takes them dead-letters them), or this is
/// the retry of an ack that ran but whose answer was lost: either way, pushing the letters
/// again would duplicate them. Returns 1 when acknowledged, 0 when the list was gone.
pub const ACK: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('DEL', KEYS[1])
return 1
";

/// Puts a processing list back at the head of the queue in its original order, unless its
/// owner's heartbeat key (`KEYS[3]`, when given) shows the owner is alive. Returns how many
/// messages moved, or -1 when the owner is alive.
pub const RETURN_TO_QUEUE: &str = r"
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #items, 1, -1 do
  redis.call('LPUSH', KEYS[2], items[i])
end
redis.call('DEL', KEYS[1])
return #items
";

/// The votes not committed yet: the length of the queue (`KEYS[1]`) plus that of every processing
/// list (pattern `ARGV[1]`), read in one script so that a batch moving between lists (taken, or
/// recovered from a dead worker) is never missed nor counted twice. `KEYS` is fine here: it
/// serves tests and the load generator's verification, against a Redis holding a few keys.
pub const NOT_YET_COMMITTED: &str = r"
local n = redis.call('LLEN', KEYS[1])
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  n = n + redis.call('LLEN', key)
end
return n
";
