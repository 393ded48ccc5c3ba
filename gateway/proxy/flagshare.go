package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flags shared between replicas. Detector state stays in each replica
// (it is read and written on every query; a round trip to Redis per query
// would cost more than the detectors), but a flag, once raised anywhere,
// holds everywhere: a blocked client cannot get round its block by
// reaching another replica, and a restarted replica still knows whom it
// flagged. A new flag is written to Redis as a key that expires with the
// flag (flag_ttl) and published on a channel; every replica follows the
// channel and, when it starts and every flagResync after, reads the keys,
// which covers messages lost while it was disconnected.
//
// Nothing of this runs on the request path: the request hands the flag to
// a bounded queue (dropped and counted when full), and what arrives from
// Redis is checked like any input, since anyone who can write to Redis
// can write there.
const (
	flagResync       = 30 * time.Second
	maxSharedFlag    = 8 << 10 // bytes of one encoded flag
	maxFlagPrincipal = 1 << 10
	maxFlagDetector  = 128
	flagCallTimeout  = 2 * time.Second
)

// sharedFlag is a flag as it travels between replicas.
type sharedFlag struct {
	Replica   string  `json:"replica"` // the sender, which skips its own messages
	Model     string  `json:"model"`
	Principal string  `json:"principal"`
	Detector  string  `json:"detector"`
	Score     float64 `json:"score"`
	Reason    string  `json:"reason"`
}

type flagShare struct {
	rdb    *redis.Client // the flags' own, closed when the gateway stops
	conns  *connSet
	prefix string
	self   string
	out    chan sharedFlag
	close  func() error // closes rdb and every connection it made, once
}

func newFlagShare(addr, prefix string) *flagShare {
	var id [8]byte
	_, _ = rand.Read(id[:])
	cs := &connSet{m: map[*trackedConn]struct{}{}}
	rdb := redis.NewClient(&redis.Options{Addr: addr, Dialer: cs.dial})
	return &flagShare{rdb: rdb, conns: cs, prefix: prefix, self: hex.EncodeToString(id[:]),
		out: make(chan sharedFlag, 256), close: sync.OnceValue(func() error {
			cs.closeAll()
			return rdb.Close()
		})}
}

// connSet keeps the flag client's connections so that stopping can close
// them all. Cancelling a call, or closing the client, does not interrupt
// a connection still being set up for a subscription; against a Redis
// that accepts connections and never answers, that held Close for seconds.
type connSet struct {
	mu     sync.Mutex
	m      map[*trackedConn]struct{}
	closed bool
}

func (cs *connSet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: c, set: cs}
	cs.m[tc] = struct{}{}
	return tc, nil
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for c := range cs.m {
		c.Conn.Close()
	}
	clear(cs.m)
}

type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.m, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

func (s *flagShare) channel() string { return s.prefix + "flags" }

func (s *flagShare) key(model, principal string) string {
	// Model names hold no ':', so the key names one model and principal.
	return s.prefix + "flag:" + model + ":" + principal
}

// shareFlag queues a flag just raised or renewed for the other replicas,
// when its last copy there is older than a quarter of flag_ttl; it never
// blocks.
func (g *Gateway) shareFlag(m *model, principal string, v verdict, now time.Time) {
	if g.share == nil || !m.flags.shareDue(principal, now, m.cfg.FlagTTL/4) {
		return
	}
	f := sharedFlag{Replica: g.share.self, Model: m.cfg.Name, Principal: principal, Detector: v.Detector,
		Score: v.Score, Reason: v.reason}
	select {
	case g.share.out <- f:
	default:
		g.metrics.inc(mFlagShareErrors, "op", "queue-full")
	}
}

// startFlagShare starts the goroutines that publish and follow flags.
func (g *Gateway) startFlagShare(ctx context.Context) {
	if g.share == nil {
		return
	}
	// Stop ends the calls in flight: cancelling alone would not interrupt
	// a read from a Redis that does not answer, closing the client does.
	ctx, cancel := context.WithCancel(ctx)
	g.wg.Add(3)
	go func() {
		defer g.wg.Done()
		select {
		case <-g.stop:
		case <-ctx.Done():
		}
		cancel()
		_ = g.share.close()
	}()
	go func() {
		defer g.wg.Done()
		drain(ctx, g.stop, g.share.out, func(f sharedFlag) { g.publishFlag(ctx, f) })
	}()
	go func() {
		defer g.wg.Done()
		g.followFlags(ctx)
	}()
}

// publishFlag writes the key, then publishes: a replica that misses the
// message finds the key at its next resync.
func (g *Gateway) publishFlag(ctx context.Context, f sharedFlag) {
	b, err := json.Marshal(f)
	if err != nil || len(b) > maxSharedFlag {
		g.metrics.inc(mFlagShareErrors, "op", "encode")
		return
	}
	s := g.share
	cctx, cancel := context.WithTimeout(ctx, flagCallTimeout)
	defer cancel()
	_, err = s.rdb.TxPipelined(cctx, func(p redis.Pipeliner) error {
		p.Set(cctx, s.key(f.Model, f.Principal), b, g.models[f.Model].cfg.FlagTTL)
		p.Publish(cctx, s.channel(), b)
		return nil
	})
	if err != nil {
		g.metrics.inc(mFlagShareErrors, "op", "publish")
		g.log.Warn("sharing a flag through Redis failed; other replicas will not see it", "model", f.Model,
			"principal", f.Principal, "err", err)
	}
}

// followFlags applies the other replicas' flags until the gateway stops.
// go-redis resubscribes by itself after a lost connection; the periodic
// resync picks up what was published meanwhile.
func (g *Gateway) followFlags(ctx context.Context) {
	s := g.share
	sub := s.rdb.Subscribe(ctx, s.channel())
	defer sub.Close()
	// Wait for the subscription before reading the keys, so that a flag
	// is either among the keys or among the messages.
	cctx, cancel := context.WithTimeout(ctx, flagCallTimeout)
	if _, err := sub.Receive(cctx); err != nil {
		g.metrics.inc(mFlagShareErrors, "op", "subscribe")
		g.log.Warn("following shared flags in Redis failed; retrying", "err", err)
	}
	cancel()
	msgs := sub.Channel(redis.WithChannelSize(256))
	g.resyncFlags(ctx)
	tick := time.NewTicker(flagResync)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			g.resyncFlags(ctx)
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			g.applyFlag([]byte(msg.Payload), 0, true)
		}
	}
}

// resyncFlags reads every shared flag's key, at most as many as the
// models can hold, and applies those this replica does not have.
func (g *Gateway) resyncFlags(ctx context.Context) {
	s := g.share
	budget := 0
	for _, m := range g.models {
		budget += max(m.det.maxClients, 1)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*flagCallTimeout)
	defer cancel()
	var cursor uint64
	for budget > 0 {
		keys, next, err := s.rdb.Scan(cctx, cursor, s.prefix+"flag:*", 500).Result()
		if err != nil {
			g.metrics.inc(mFlagShareErrors, "op", "resync")
			return
		}
		keys = keys[:min(len(keys), budget)]
		budget -= len(keys)
		g.applyKeys(cctx, keys)
		if cursor = next; cursor == 0 {
			return
		}
	}
}

func (g *Gateway) applyKeys(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	pipe := g.share.rdb.Pipeline()
	vals := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		// At most one byte more than a flag can hold: a longer value is
		// seen as too long without being read.
		vals[i], ttls[i] = pipe.GetRange(ctx, k, 0, maxSharedFlag), pipe.PTTL(ctx, k)
	}
	// A key of another type fails its own command only (a reply from
	// Redis); the others apply. A broken connection fails them all.
	if _, err := pipe.Exec(ctx); err != nil && !isRedisReply(err) {
		g.metrics.inc(mFlagShareErrors, "op", "resync")
		return
	}
	for i := range keys {
		b, err := vals[i].Bytes()
		left, terr := ttls[i].Result()
		if err != nil || terr != nil || left <= 0 || len(b) == 0 { // gone, kept for ever, or not a string
			if err != nil && err != redis.Nil {
				g.metrics.inc(mFlagShareErrors, "op", "malformed")
			}
			continue
		}
		g.applyFlag(b, left, false)
	}
}

// applyFlag sets a flag received from Redis, with left of its time to
// live (0: all of it). Where this replica holds a flag for the client
// already, the longer-lasting of the two stands, and its own flags read
// back from Redis only fill a gap. Anything malformed is dropped and
// counted.
func (g *Gateway) applyFlag(b []byte, left time.Duration, fromChannel bool) {
	var f sharedFlag
	if len(b) > maxSharedFlag || json.Unmarshal(b, &f) != nil || !f.valid() {
		g.metrics.inc(mFlagShareErrors, "op", "malformed")
		return
	}
	m := g.models[f.Model]
	own := f.Replica == g.share.self
	if m == nil || (fromChannel && own) {
		return
	}
	ttl := m.cfg.FlagTTL
	if left <= 0 || left > ttl {
		left = ttl
	}
	now := g.now()
	if m.flags.setUnlessLonger(f.Principal, verdict{Flagged: true, Detector: f.Detector, Score: f.Score, reason: f.Reason},
		now.Add(left-ttl), now, own) {
		g.metrics.inc(mFlagsShared, "model", m.cfg.Name)
	}
}

func (f *sharedFlag) valid() bool {
	return f.Principal != "" && len(f.Principal) <= maxFlagPrincipal &&
		f.Detector != "" && len(f.Detector) <= maxFlagDetector &&
		!math.IsNaN(f.Score) && !math.IsInf(f.Score, 0)
}

// isRedisReply tells an error Redis answered (such as WRONGTYPE, or nil
// for a missing key) from a failure to reach it.
func isRedisReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}
