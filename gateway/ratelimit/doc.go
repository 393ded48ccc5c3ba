// Package ratelimit limits how fast, and how much per day, each client of the
// gateway may query a model: a token bucket per key (the gateway builds keys
// from the API key or subject and the model name) plus an optional daily
// quota that resets at midnight UTC.
//
// Two Limiters share one decision rule:
//
//   - Memory keeps the state in process, in a bounded table (MaxKeys, least
//     recently used keys evicted first, sharded locks, no allocation when
//     the key is already tracked). It is the default for a single gateway.
//   - Redis keeps the state in Redis so that replicas share one limit. Each
//     call runs one Lua script (EVALSHA, falling back to EVAL when the server
//     lost the script) that reads the server's clock with TIME, so replicas
//     whose clocks disagree still agree on the bucket and on the UTC day.
//
// # The bucket
//
// The token bucket is computed as the Generic Cell Rate Algorithm in its
// virtual-scheduling form (ITU-T Recommendation I.371, "Traffic control and
// congestion control in B-ISDN", and ATM Forum Traffic Management
// Specification 4.0, §4.4): the state is one number, the theoretical arrival
// time TAT; a request at time t is allowed when t ≥ TAT + T − Burst·T, where
// T = 1/Rate, and then TAT becomes max(TAT, t) + T. This is exactly a bucket
// of Burst tokens refilled at Rate tokens per second, each request taking
// one token, but it needs no floating-point token count: Memory works in
// integer nanoseconds, so "Burst requests at once, then one every 1/Rate
// seconds" holds to the nanosecond.
//
// # The daily quota
//
// A Limit with Daily > 0 also allows at most Daily requests per UTC day
// (Unix time divided by 86400 seconds, as POSIX defines it). A request is
// counted only when both the bucket and the quota allow it, so requests
// refused for one reason never use up the other. When the quota is spent the
// Decision says "quota" and RetryAfter runs to the next midnight UTC.
//
// In Redis the bucket and the day's count live in one hash per key
// ("tat", "day", "used") that expires once it no longer matters (when the
// bucket is full again and, if a quota is set, at the end of the day). One
// key per client, rather than one per client and day, keeps every key the
// script touches declared in KEYS, which Redis Cluster requires; the "day"
// field, taken from the server's clock, resets the count at midnight just as
// a key per day would.
//
// # Hostile keys
//
// Keys come from requests and are treated as hostile. Memory refuses keys
// longer than MaxKeyLen, so the table's memory is bounded by MaxKeys ×
// (MaxKeyLen + EntryOverhead). Redis never puts a key into a key name: it
// uses the first 128 bits of the key's SHA-256 (FIPS 180-4) in hex, inside a
// hash tag, so names are fixed-length and cannot collide by construction.
//
// # When Redis fails
//
// Redis.Allow returns the error and a zero Decision (not allowed). The caller
// chooses what that means; the gateway should either fail closed (refuse the
// request with 503) or fall back to a local Memory limiter with the limit
// divided by the number of replicas. Failing open would let an attacker who
// can disturb Redis lift every limit at once.
package ratelimit
