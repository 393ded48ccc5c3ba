package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelward/modelward/registry"
)

// Endpoint is one receiver of registry events.
type Endpoint struct {
	// URL is where entries are POSTed: http or https only.
	URL string
	// Secret is the HMAC-SHA256 key shared with the receiver, at least
	// MinSecretSize bytes, unique to this endpoint.
	Secret []byte
	// Actions, when not empty, limits delivery to these audit actions
	// ("version.transition"); an item ending in ".*" matches every action
	// under that prefix ("version.*").
	Actions []string
	// Models, when not empty, limits delivery to entries about these
	// models; entries about no model (token.create) are then not sent.
	Models []string
}

// MinSecretSize is the shortest secret New accepts: the Standard Webhooks
// specification asks for at least 24 random bytes.
const MinSecretSize = 24

// ID names the endpoint's cursor: derived from its URL alone, so changing
// its secret or filters keeps its place in the log.
func (e Endpoint) ID() string {
	h := sha256.Sum256([]byte(e.URL))
	return "ep_" + hex.EncodeToString(h[:12])
}

// matches reports whether the endpoint wants entry a.
func (e Endpoint) matches(a *registry.AuditEntry) bool {
	if len(e.Models) > 0 && !slices.Contains(e.Models, a.Model) {
		return false
	}
	if len(e.Actions) == 0 {
		return true
	}
	for _, f := range e.Actions {
		if prefix, ok := strings.CutSuffix(f, "*"); ok && strings.HasSuffix(prefix, ".") {
			if strings.HasPrefix(a.Action, prefix) {
				return true
			}
		} else if f == a.Action {
			return true
		}
	}
	return false
}

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	// Client sends the requests (default: a client with the default
	// transport, which honours HTTP(S)_PROXY). The dispatcher uses a copy
	// whose CheckRedirect refuses every redirect, whatever Client's says.
	Client *http.Client
	// Logger receives delivery failures and skipped entries (default
	// slog.Default()).
	Logger *slog.Logger
	// MaxAttempts bounds the attempts at one entry that fail in a way worth
	// retrying (default 8); then the entry is skipped.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the delay before retry n: a random
	// duration up to min(MaxBackoff, BaseBackoff·2^(n-1)) (defaults 1s and
	// 5m). MaxBackoff also bounds a Retry-After.
	BaseBackoff, MaxBackoff time.Duration
	// Timeout bounds each request, response included (default 10s).
	Timeout time.Duration
	// Cursor keeps each endpoint's position (default: in memory only, so
	// a restart starts again as if the endpoints were new).
	Cursor CursorStore
	// Backfill makes an endpoint with no saved cursor receive the whole
	// audit log; by default it starts with the entries that follow the
	// log's head when Run starts.
	Backfill bool
	// Poll is how often the store is read even without an event from the
	// broker: what other server instances append arrives this way
	// (default 30s).
	Poll time.Duration
	// Now is the clock for Webhook-Timestamp (default time.Now).
	Now func() time.Time
}

// Defaults for Options.
const (
	DefaultMaxAttempts = 8
	DefaultBaseBackoff = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultTimeout     = 10 * time.Second
	DefaultPoll        = 30 * time.Second
)

// batchSize is how many entries one store read returns.
const batchSize = 100

// Dispatcher delivers audit entries to endpoints. Make one with New and
// start it with Run.
type Dispatcher struct {
	st        registry.Store
	ev        *registry.Events
	endpoints []endpoint
	opt       Options
	client    *http.Client
	log       *slog.Logger

	mu      sync.Mutex
	running bool
}

// endpoint is an Endpoint as the dispatcher keeps it.
type endpoint struct {
	Endpoint
	id   string
	safe string // the URL for logs, its password hidden
}

// New checks the endpoints and options and returns a dispatcher that is
// not running yet. ev may be nil: the store is then only polled.
func New(st registry.Store, ev *registry.Events, endpoints []Endpoint, opt Options) (*Dispatcher, error) {
	if st == nil {
		return nil, errors.New("webhook: no registry store given")
	}
	d := &Dispatcher{st: st, ev: ev}
	seen := map[string]bool{}
	for i, e := range endpoints {
		u, err := url.Parse(e.URL)
		switch {
		case err != nil:
			return nil, fmt.Errorf("webhook endpoint %d: invalid URL: %w", i+1, err)
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("webhook endpoint %d (%s): the URL must be http or https, not %q", i+1, u.Redacted(), u.Scheme)
		case u.Host == "" || u.Hostname() == "":
			return nil, fmt.Errorf("webhook endpoint %d (%s): the URL has no host", i+1, u.Redacted())
		case len(e.Secret) < MinSecretSize:
			return nil, fmt.Errorf("webhook endpoint %d (%s): the secret is %d bytes; use at least %d random bytes",
				i+1, u.Redacted(), len(e.Secret), MinSecretSize)
		case seen[e.URL]:
			return nil, fmt.Errorf("webhook endpoint %d (%s): the URL is listed twice; merge the two entries' filters",
				i+1, u.Redacted())
		}
		seen[e.URL] = true
		c := e
		c.Secret = slices.Clone(e.Secret)
		c.Actions = slices.Clone(e.Actions)
		c.Models = slices.Clone(e.Models)
		d.endpoints = append(d.endpoints, endpoint{Endpoint: c, id: e.ID(), safe: u.Redacted()})
	}
	if opt.MaxAttempts < 0 || opt.BaseBackoff < 0 || opt.MaxBackoff < 0 || opt.Timeout < 0 || opt.Poll < 0 {
		return nil, errors.New("webhook: negative attempts, backoff, timeout or poll interval")
	}
	if opt.MaxAttempts == 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	if opt.BaseBackoff == 0 {
		opt.BaseBackoff = DefaultBaseBackoff
	}
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = DefaultMaxBackoff
	}
	opt.MaxBackoff = max(opt.MaxBackoff, opt.BaseBackoff)
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Poll == 0 {
		opt.Poll = DefaultPoll
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Cursor == nil {
		opt.Cursor = &memCursors{m: map[string]int64{}}
	}
	d.log = opt.Logger
	if d.log == nil {
		d.log = slog.Default()
	}
	d.client = &http.Client{}
	if opt.Client != nil {
		c := *opt.Client
		d.client = &c
	}
	d.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.opt = opt
	return d, nil
}

// Run delivers entries until ctx is done, then waits for every endpoint's
// goroutine and returns ctx's error. It fails at once, before sending
// anything, when a cursor cannot be read or the store cannot say where the
// log ends. Run may be called once.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("webhook: the dispatcher is already running")
	}
	d.running = true
	d.mu.Unlock()

	// Subscribe before reading the head, so that nothing appended after
	// the head was read goes unnoticed.
	var events <-chan registry.AuditEntry
	if d.ev != nil {
		ch, cancel := d.ev.Subscribe(256)
		defer cancel()
		events = ch
	}
	head, _, err := d.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("webhook: find the end of the audit log: %w", err)
	}
	starts := make([]int64, len(d.endpoints))
	fresh := make([]bool, len(d.endpoints))
	for i := range d.endpoints {
		if starts[i], fresh[i], err = d.start(&d.endpoints[i], head); err != nil {
			return err
		}
	}

	var wg sync.WaitGroup
	wakes := make([]chan struct{}, len(d.endpoints))
	for i := range d.endpoints {
		wakes[i] = make(chan struct{}, 1)
		wg.Go(func() { d.serve(ctx, &d.endpoints[i], starts[i], fresh[i], wakes[i]) })
	}
	// The broker's entries only wake the endpoints: each reads what is new
	// from the store, so a dropped event or a gap costs nothing.
	if events != nil {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case _, ok := <-events:
					if !ok {
						return
					}
					for _, w := range wakes {
						select {
						case w <- struct{}{}:
						default:
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// start returns the sequence number after which e's delivery begins, and
// whether it differs from the saved cursor (and must be saved at once, so
// that a restart does not start again from a later head).
func (d *Dispatcher) start(e *endpoint, head int64) (int64, bool, error) {
	seq, err := d.opt.Cursor.Load(e.id)
	switch {
	case errors.Is(err, ErrNoCursor):
		if d.opt.Backfill {
			return 0, true, nil
		}
		return head, true, nil
	case err != nil:
		return 0, false, fmt.Errorf("webhook endpoint %s: read its cursor: %w", e.safe, err)
	case seq > head:
		// The log is shorter than what was delivered: the database was
		// replaced or cut short. Say so loudly and follow the new log.
		d.log.Error("webhook cursor is past the end of the audit log; was the registry database replaced or truncated? delivery restarts at the log's end",
			"endpoint", e.safe, "endpoint_id", e.id, "cursor", seq, "head", head)
		return head, true, nil
	}
	return seq, false, nil
}

// serve delivers to one endpoint until ctx is done.
func (d *Dispatcher) serve(ctx context.Context, e *endpoint, cursor int64, fresh bool, wake <-chan struct{}) {
	tick := time.NewTicker(d.opt.Poll)
	defer tick.Stop()
	saved := cursor
	if fresh {
		saved = -1
	}
	save := func() {
		if saved == cursor {
			return
		}
		if err := d.opt.Cursor.Save(e.id, cursor); err != nil {
			// Delivery goes on; after a restart the unsaved entries are
			// sent again, which at-least-once allows.
			d.log.Error("webhook cursor not saved", "endpoint", e.safe, "endpoint_id", e.id, "seq", cursor, "err", err)
			return
		}
		saved = cursor
	}
	for ctx.Err() == nil {
		entries, err := d.st.Audit(ctx, cursor, batchSize)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("webhook: read the audit log", "endpoint", e.safe, "after", cursor, "err", err)
			}
			sleep(ctx, d.opt.BaseBackoff)
			continue
		}
		for i := range entries {
			a := &entries[i]
			if a.Seq <= cursor {
				continue // a store that ignored "after"
			}
			if a.Seq != cursor+1 {
				d.log.Warn("webhook: gap in the audit log's sequence numbers", "endpoint", e.safe, "after", cursor, "next", a.Seq)
			}
			if e.matches(a) {
				if !d.deliver(ctx, e, a) {
					save()
					return // ctx done: the entry is sent again next time
				}
				cursor = a.Seq
				save()
				continue
			}
			cursor = a.Seq
		}
		save()
		if len(entries) == batchSize {
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-tick.C:
		}
	}
}

// memCursors is the CursorStore used when none is given.
type memCursors struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *memCursors) Load(id string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq, ok := c.m[id]
	if !ok {
		return 0, ErrNoCursor
	}
	return seq, nil
}

func (c *memCursors) Save(id string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[id] = seq
	return nil
}
