package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts run inside Redis, so each check-then-write is atomic and
// costs one round trip. Every script touches exactly one key (KEYS[1]), which
// keeps them legal on Redis Cluster. redis.NewScript sends EVALSHA and falls
// back to EVAL when the server's script cache does not have the script.
//
// Record fields are written all at once on every write, so no field of an
// older record can survive an Update.

// Results of writeScript besides the new version (always >= 1).
const (
	resNotFound = -1
	resCorrupt  = -2
	resConflict = -3
)

// createScript inserts a record unless the key holds anything at all.
// KEYS[1]: record. ARGV: data, created, updated, expires, user ID, expire-at
// (Unix ms). Returns 1 when written, 0 when the key exists.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'c', ARGV[2], 'u', ARGV[3], 'e', ARGV[4], 'uid', ARGV[5], 'v', '1')
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
return 1
`)

// writeScript replaces an existing record and bumps its version; with a
// non-empty ARGV[7] it first checks that the stored version equals it.
// KEYS[1]: record. ARGV: as createScript, then the expected version or "".
// Returns the new version, or resNotFound, resCorrupt or resConflict.
//
// It runs on every write, so it makes as few calls as it can: HGET of the
// version tells a missing key, a hash and another type apart in the common
// case (EXISTS only when the field is missing), and a version short enough
// for Lua's numbers to hold exactly, without the leading zero HINCRBY would
// refuse, is bumped in the same HSET instead of a separate HINCRBY.
var writeScript = redis.NewScript(`
local v = redis.pcall('HGET', KEYS[1], 'v')
if type(v) == 'table' then
  if v.err and string.sub(v.err, 1, 9) == 'WRONGTYPE' then return -2 end
  return v
end
if not v then
  if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
  return -2
end
if not string.match(v, '^%d+$') then return -2 end
if ARGV[7] ~= '' and v ~= ARGV[7] then return -3 end
if string.len(v) <= 13 and string.sub(v, 1, 1) ~= '0' then
  local nv = tonumber(v) + 1
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'c', ARGV[2], 'u', ARGV[3], 'e', ARGV[4], 'uid', ARGV[5], 'v', string.format('%d', nv))
  redis.call('PEXPIREAT', KEYS[1], ARGV[6])
  return nv
end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'c', ARGV[2], 'u', ARGV[3], 'e', ARGV[4], 'uid', ARGV[5])
local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIREAT', KEYS[1], ARGV[6])
return nv
`)

// deleteScript deletes a record and returns what it held, so that the
// caller can tell a live record from an expired or corrupt one (by decoding
// it exactly as Read does) and tidy the user index, all decided atomically
// with the removal. KEYS[1]: record. ARGV[1]: a user ID, or "" for any
// owner.
//
// It returns false when nothing was deleted: the key is absent, or it is a
// hash whose user field names another user than ARGV[1]. Otherwise it deletes the key and returns the hash's
// fields as a flat list, or an empty list when the key held another type.
// Junk is deleted whoever asks: a logout must succeed even over junk, and a
// key of another type under a record's name can be nobody's live session.
var deleteScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return false end
if t ~= 'hash' then
  redis.call('DEL', KEYS[1])
  return {}
end
if ARGV[1] ~= '' then
  local u = redis.call('HGET', KEYS[1], 'uid')
  if u and u ~= ARGV[1] then return false end
end
local h = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return h
`)

// indexScript records that a session of a user expires at ARGV[2] (Unix ms),
// trims members that expired by ARGV[3] (now, Unix ms), and lets the index
// key expire with its last member. KEYS[1]: user index. ARGV[1]: key hex.
//
// It runs beside the record write, not after it, so it cannot know whether
// that write succeeded: a refused CompareAndUpdate may carry an earlier
// Expires than the record keeps. A score therefore only ever grows (ZADD GT)
// and the script never removes a member before its score passes; a score
// later than the record's real expiry only means ListUser checks and drops
// the member a little later.
var indexScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tonumber(top[2])))
end
return 1
`)
