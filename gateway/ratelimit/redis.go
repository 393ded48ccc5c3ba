package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// serverClock opens both scripts: now in µs and today's number, from the
// server's TIME, so that every replica uses one clock.
const serverClock = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local sec = tonumber(t[1])
local now = sec * 1000000 + tonumber(t[2])
local day = math.floor(sec / 86400)
`

// allowScript is the whole decision, run atomically on the server. It is the
// Lua twin of decide, in microseconds (exact in a double until 2^53 µs,
// about the year 2255) from the server's TIME, so that every replica uses
// one clock.
//
// KEYS[1]: the key's hash. ARGV: interval in µs (1/Rate), burst, daily, cost.
// Returns {allowed 0|1, remaining, retry after in µs, reason 0|1 rate|2 quota}.
const allowScript = serverClock + `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 'tat', 'day', 'used')
local used = 0
if tonumber(st[2]) == day then used = tonumber(st[3]) or 0 end
local eod = (day + 1) * 86400000000
if daily > 0 and used + cost > daily then
  return {0, 0, math.ceil(eod - now), 2}
end
local tat = tonumber(st[1]) or now
if tat < now then tat = now end
local allow_at = tat + cost * interval - burst * interval
if now < allow_at then
  return {0, 0, math.ceil(allow_at - now), 1}
end
used = used + cost
local new_tat = tat + cost * interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.17g', new_tat), 'day', string.format('%d', day), 'used', string.format('%d', used))
local keep = new_tat - now
if daily > 0 and eod - now > keep then keep = eod - now end
redis.call('PEXPIRE', KEYS[1], math.ceil(keep / 1000) + 1000)
local left = math.floor((now - allow_at) / interval)
if daily > 0 and daily - used < left then left = daily - used end
return {1, left, 0, 0}
`

var script = redis.NewScript(allowScript)

// refundScript undoes a charge of ARGV[2] tokens (interval ARGV[1] µs):
// the Lua twin of refund.
const refundScript = serverClock + `
local interval = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local st = redis.call('HMGET', KEYS[1], 'tat', 'day', 'used')
local tat = tonumber(st[1])
if not tat then return 0 end
tat = tat - cost * interval
if tat < now then tat = now end
local used = tonumber(st[3]) or 0
if tonumber(st[2]) == day then
  used = used - cost
  if used < 0 then used = 0 end
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.17g', tat), 'used', string.format('%d', used))
return 1
`

var refunder = redis.NewScript(refundScript)

// Refund implements Limiter in one script call.
func (r *Redis) Refund(ctx context.Context, key string, l Limit, n int, _ time.Time) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := checkCost(n, l); err != nil {
		return err
	}
	interval := strconv.FormatFloat(1e6/l.Rate, 'g', 17, 64)
	if err := refunder.Run(ctx, r.client, []string{r.KeyName(key)}, interval, n).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

// Redis is a Limiter whose state lives in Redis, shared by every gateway
// replica that uses the same server and prefix. It is safe for concurrent
// use.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a limiter that keeps its state under prefix (for example
// "modelward:rl:") in the server client talks to.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow implements Limiter with one script call. now is ignored: the server's
// clock decides. On a Redis error it returns the error and a refusal; see the
// package documentation for what the caller should do then.
func (r *Redis) Allow(ctx context.Context, key string, l Limit, now time.Time) (Decision, error) {
	return r.AllowN(ctx, key, l, 1, now)
}

// AllowN implements Limiter for a request that costs n tokens, in the same
// one script call.
func (r *Redis) AllowN(ctx context.Context, key string, l Limit, n int, _ time.Time) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	if err := checkCost(n, l); err != nil {
		return Decision{}, err
	}
	interval := strconv.FormatFloat(1e6/l.Rate, 'g', 17, 64)
	res, err := script.Run(ctx, r.client, []string{r.KeyName(key)}, interval, l.Burst, l.Daily, n).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("ratelimit: redis: script returned %d values, want 4", len(res))
	}
	return fromScript(res, l), nil
}

// fromScript turns the script's reply into a Decision.
func fromScript(res []int64, l Limit) Decision {
	d := Decision{Allowed: res[0] == 1, Limit: l}
	if d.Allowed {
		d.Remaining = int(min(max(res[1], 0), MaxBurst))
		return d
	}
	d.RetryAfter = time.Duration(max(res[2], 0)) * time.Microsecond
	d.Reason = ReasonRate
	if res[3] == 2 {
		d.Reason = ReasonQuota
	}
	return d
}

// KeyName is the Redis key that holds key's state: the prefix, then the
// first 128 bits of SHA-256(key) in hex inside braces, a Redis Cluster hash
// tag. The hostile key never reaches the server, and every name has the same
// length.
func (r *Redis) KeyName(key string) string {
	sum := sha256.Sum256([]byte(key))
	var buf [2 + 32]byte
	buf[0] = '{'
	hex.Encode(buf[1:33], sum[:16])
	buf[33] = '}'
	return r.prefix + string(buf[:])
}
