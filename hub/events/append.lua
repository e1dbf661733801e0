-- Append one event to a topic's log and announce it to every node, atomically, so the
-- seq order and the pub/sub order are the same on every node.
-- KEYS[1] topic meta hash {seq, epoch}   KEYS[2] topic stream (id = "<seq>-0")
-- ARGV[1] epoch to use if the topic is new   ARGV[2] msgpack entry   ARGV[3] ts (ms)
-- ARGV[4] max_events   ARGV[5] min ts kept regardless (ms)   ARGV[6] ttl (s)
-- ARGV[7] pub/sub channel ('' = none)   ARGV[8] message prefix   ARGV[9] message suffix
-- KEYS[3] event id key ('' = no id): an event published again with the same id (an outbox
-- retried after a crash) is not appended twice; the first seq is answered.
-- Returns {seq, epoch, 1 if it was a repeat}
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
if KEYS[3] ~= '' then
  local first = redis.call('GET', KEYS[3])
  if first then return {tonumber(first), redis.call('HGET', KEYS[1], 'epoch'), 1} end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], seq, 'EX', 86400) end
redis.call('XADD', KEYS[2], seq .. '-0', 'e', ARGV[2], 't', ARGV[3])
local excess = redis.call('XLEN', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', math.min(excess, 64))
  local cut = nil
  for _, entry in ipairs(oldest) do
    if tonumber(entry[2][4]) < tonumber(ARGV[5]) then cut = entry[1] else break end
  end
  if cut then
    redis.call('XTRIM', KEYS[2], 'MINID', (tonumber(string.match(cut, '^(%d+)')) + 1) .. '-0')
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
if ARGV[7] ~= '' then
  redis.call('PUBLISH', ARGV[7], ARGV[8] .. seq .. ARGV[9])
end
return {seq, epoch, 0}
