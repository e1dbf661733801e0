-- Read a topic's position and, if asked, every kept event after a seq.
-- KEYS[1] topic meta hash   KEYS[2] topic stream
-- ARGV[1] epoch to use if the topic is new   ARGV[2] after_seq ('' = position only)
-- ARGV[3] ttl (s)   ARGV[4] most events to return
-- Returns {seq, epoch, first kept seq (0 = none), entries}
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if ARGV[2] == '' then return {seq, epoch, 0, {}} end
local after = tonumber(ARGV[2])
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first_seq = 0
if #first > 0 then first_seq = tonumber(string.match(first[1][1], '^(%d+)')) end
if after >= seq or first_seq == 0 or first_seq > after + 1 or seq - after > tonumber(ARGV[4]) then
  return {seq, epoch, first_seq, {}}
end
return {seq, epoch, first_seq, redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+')}
