package review

import (
	"fmt"
	"time"
)

// Defaults for the zero fields of a Config.
const (
	DefaultMaxPending       = 1000
	DefaultMaxPerPrincipal  = 20
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxTotalBytes    = 64 << 20
	DefaultTTL              = 15 * time.Minute
	DefaultKeepDecided      = 15 * time.Minute
	// DefaultItemsPerPending sets the default MaxItems as a multiple of
	// MaxPending: room for the decided items kept around for polling.
	DefaultItemsPerPending = 10
	// MaxFieldBytes bounds every string stored in an item, so that the
	// metadata of MaxItems items stays small next to the held responses.
	MaxFieldBytes = 1024
)

// Config bounds the queue. Zero fields take the defaults above.
type Config struct {
	// MaxPending bounds the items waiting for a decision.
	MaxPending int
	// MaxPerPrincipal bounds the pending items of one principal, so a
	// single flagged client cannot fill the queue for everyone.
	MaxPerPrincipal int
	// MaxResponseBytes bounds one held response.
	MaxResponseBytes int
	// MaxTotalBytes bounds all held responses together.
	MaxTotalBytes int64
	// MaxItems bounds every item remembered, in any state (default
	// DefaultItemsPerPending × MaxPending).
	MaxItems int
	// TTL is how long an item waits for a decision before it expires.
	TTL time.Duration
	// KeepDecided is how long an item stays visible after it was decided
	// or expired, for the client to learn the outcome; then it is forgotten.
	KeepDecided time.Duration
	// Now is the clock (time.Now when nil); tests pass a fake one.
	Now func() time.Time
}

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.MaxPending < 0 || c.MaxPerPrincipal < 0 || c.MaxResponseBytes < 0 ||
		c.MaxTotalBytes < 0 || c.MaxItems < 0 || c.TTL < 0 || c.KeepDecided < 0 {
		return c, fmt.Errorf("%w: negative limit in config", ErrInvalid)
	}
	c.MaxPending = orDefault(c.MaxPending, DefaultMaxPending)
	c.MaxPerPrincipal = orDefault(c.MaxPerPrincipal, DefaultMaxPerPrincipal)
	c.MaxResponseBytes = orDefault(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.MaxTotalBytes = orDefault(c.MaxTotalBytes, DefaultMaxTotalBytes)
	c.TTL = orDefault(c.TTL, DefaultTTL)
	c.KeepDecided = orDefault(c.KeepDecided, DefaultKeepDecided)
	if c.MaxItems == 0 {
		c.MaxItems = c.MaxPending * DefaultItemsPerPending
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, c.check()
}

// check refuses configurations whose limits contradict each other.
func (c Config) check() error {
	if int64(c.MaxResponseBytes) > c.MaxTotalBytes {
		return fmt.Errorf("%w: max response bytes %d exceed max total bytes %d",
			ErrInvalid, c.MaxResponseBytes, c.MaxTotalBytes)
	}
	if c.MaxItems < c.MaxPending {
		return fmt.Errorf("%w: max items %d below max pending %d",
			ErrInvalid, c.MaxItems, c.MaxPending)
	}
	return nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
