package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Reasons a request is refused, as carried in Decision.Reason.
const (
	ReasonRate  = "rate"
	ReasonQuota = "quota"
)

// Bounds on a Limit. They keep every quantity exact in the arithmetic both
// limiters use: int64 nanoseconds in Memory, and in Redis the Lua doubles
// that hold microseconds since 1970 (exact below 2^53) and the integers
// Redis converts with 14 significant digits.
const (
	// MaxRate is the highest Rate: one token per microsecond.
	MaxRate = 1e6
	// MaxBurst is the largest bucket.
	MaxBurst = 1 << 30
	// MaxDaily is the largest daily quota.
	MaxDaily = 1e12
	// MaxRefill bounds Burst/Rate, the time an empty bucket takes to fill:
	// ten years is far past any sensible limit and keeps TAT within int64.
	MaxRefill = 10 * 365 * 24 * time.Hour
	// MaxKeyLen is the longest key Memory accepts.
	MaxKeyLen = 1024
)

// Errors returned for inputs out of bounds.
var (
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	ErrKeyTooLong   = fmt.Errorf("ratelimit: key longer than %d bytes", MaxKeyLen)
	ErrClock        = errors.New("ratelimit: time outside the years 1970 to 2200")
)

// Limit is what one key may do.
type Limit struct {
	Rate  float64 // tokens per second, in (0, MaxRate]
	Burst int     // bucket size, in [1, MaxBurst]
	Daily int64   // requests per UTC day; 0 = no quota
}

// Decision is the answer to one request.
type Decision struct {
	Allowed bool
	// Remaining is how many more requests would be allowed right now: the
	// tokens left, or the day's quota left if that is smaller. 0 when refused.
	Remaining int
	// RetryAfter is how long until a refused request could be allowed; 0
	// when allowed.
	RetryAfter time.Duration
	// Reason is ReasonRate or ReasonQuota when refused, "" when allowed.
	// When both the bucket and the quota refuse, the quota is reported: its
	// wait is the longer one.
	Reason string
	// Limit echoes the limit applied, for response headers.
	Limit Limit
}

// Limiter decides whether the request identified by key may proceed under l,
// and if so counts it. now is the caller's clock; Redis ignores it in favour
// of the server's. AllowN does the same for a request that costs n tokens
// and n of the daily quota (a batch of n queries): all of them or none.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit, now time.Time) (Decision, error)
	AllowN(ctx context.Context, key string, l Limit, n int, now time.Time) (Decision, error)
	// Refund gives back n tokens and n of today's quota that an allowed
	// AllowN took, for a request a later check refused: a caller checking
	// several limits in turn charges none of them for a refused request.
	Refund(ctx context.Context, key string, l Limit, n int, now time.Time) error
}

// ErrCost reports a cost outside 1..Burst, or over the daily quota: a
// request costing more than the bucket or the day holds could never be
// allowed, so it is refused as an error rather than told to retry.
var ErrCost = errors.New("ratelimit: cost outside 1..burst or over the daily quota")

func checkCost(n int, l Limit) error {
	if n < 1 || n > l.Burst || (l.Daily > 0 && int64(n) > l.Daily) {
		return fmt.Errorf("%w: %d tokens, burst %d, daily quota %d", ErrCost, n, l.Burst, l.Daily)
	}
	return nil
}

// Validate reports whether l is within bounds. A limit out of bounds is a
// configuration error; both limiters refuse it rather than guess.
func (l Limit) Validate() error {
	switch {
	case !(l.Rate > 0 && l.Rate <= MaxRate): // also catches NaN
		return fmt.Errorf("%w: rate %v must be in (0, %v] per second", ErrInvalidLimit, l.Rate, float64(MaxRate))
	case l.Burst < 1 || l.Burst > MaxBurst:
		return fmt.Errorf("%w: burst %d must be in [1, %d]", ErrInvalidLimit, l.Burst, MaxBurst)
	case l.Daily < 0 || l.Daily > MaxDaily:
		return fmt.Errorf("%w: daily quota %d must be in [0, %d]", ErrInvalidLimit, l.Daily, int64(MaxDaily))
	case float64(l.Burst)/l.Rate > MaxRefill.Seconds():
		return fmt.Errorf("%w: burst %d at rate %v takes longer than %v to refill", ErrInvalidLimit, l.Burst, l.Rate, MaxRefill)
	}
	return nil
}

// interval is 1/Rate in nanoseconds, the bucket's T. Validate bounds it to
// [1000, MaxRefill].
func (l Limit) interval() int64 {
	return int64(math.Round(1e9 / l.Rate))
}

// state is one key's memory: the bucket's theoretical arrival time and the
// requests counted on one UTC day. The zero state is a full bucket and an
// unused quota.
type state struct {
	tat  int64 // unix nanoseconds
	day  int64 // days since 1970-01-01 UTC that used refers to
	used int64
}

const (
	nsPerDay = int64(24 * time.Hour)
	// minUnix and maxUnix bound the clock so that nanoseconds since 1970
	// plus MaxRefill stay far inside int64.
	minUnix = 0
	maxUnix = 7258118400 // 2200-01-01T00:00:00Z
)

// unixNano converts t, refusing times whose nanoseconds would overflow.
func unixNano(t time.Time) (int64, error) {
	if s := t.Unix(); s < minUnix || s >= maxUnix {
		return 0, ErrClock
	}
	return t.UnixNano(), nil
}

// decide applies l to st at now (unix nanoseconds), updating st only when the
// request is allowed. l must be valid.
func decide(st *state, l Limit, n int, now int64) Decision {
	d := Decision{Limit: l}
	day := now / nsPerDay // now ≥ 0, so this is the floor
	used := st.used
	switch {
	case day < st.day:
		// The clock went back across midnight: keep counting on the later
		// day rather than hand out a second quota.
		day = st.day
	case day > st.day:
		used = 0
	}
	cost := int64(n)
	if l.Daily > 0 && used+cost > l.Daily {
		d.Reason, d.RetryAfter = ReasonQuota, time.Duration((day+1)*nsPerDay-now)
		return d
	}
	t := l.interval()
	tat := max(st.tat, now)
	allowAt := tat + cost*t - int64(l.Burst)*t
	if now < allowAt {
		d.Reason, d.RetryAfter = ReasonRate, time.Duration(allowAt-now)
		return d
	}
	st.tat, st.day, st.used = tat+cost*t, day, used+cost
	d.Allowed = true
	d.Remaining = remaining((now-allowAt)/t, l.Daily, used+cost)
	return d
}

// refund undoes a charge of n: the bucket's TAT moves back n intervals
// (never below now: a full bucket stays full) and today's count drops by n.
func refund(st *state, l Limit, n int, now int64) {
	st.tat = max(st.tat-int64(n)*l.interval(), now)
	if st.day == now/nsPerDay {
		st.used = max(st.used-int64(n), 0)
	}
}

// remaining is the smaller of the tokens left and the quota left.
func remaining(tokens, daily, used int64) int {
	if daily > 0 {
		tokens = min(tokens, daily-used)
	}
	return int(min(tokens, math.MaxInt32))
}
