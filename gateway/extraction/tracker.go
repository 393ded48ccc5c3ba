package extraction

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// trackerShards spreads clients over independent locks so that requests of
// different clients rarely wait on one another.
const trackerShards = 64

// Tracker defaults.
const (
	DefaultMaxClients = 10000
	DefaultIdleTTL    = time.Hour
)

// TrackerConfig sets a Tracker. Zero fields take the defaults.
type TrackerConfig struct {
	Detector Config
	// MaxClients bounds the clients tracked at once; past it, a new client
	// makes the least recently seen client of its own shard (one of 64) be
	// forgotten: an approximation of global LRU that needs no global lock.
	// A shard holding only the new client cannot give one up, so the total
	// can pass MaxClients by at most 63.
	MaxClients int
	// IdleTTL forgets a client that sent nothing for this long; its next
	// query starts afresh.
	IdleTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Tracker runs one PRADA Detector per client, with bounded memory: at most
// MaxClients detectors of Config.MemoryBound bytes each, plus
// EntryOverhead and the client key per client.
type Tracker struct {
	cfg    TrackerConfig
	coef   *coefCache
	count  atomic.Int64 // clients tracked, over all shards
	shards [trackerShards]trackerShard
}

type trackerShard struct {
	mu         sync.Mutex
	clients    map[string]*trackedClient
	head, tail *trackedClient // least recently used list; head is the newest
}

type trackedClient struct {
	key        string
	mu         sync.Mutex // serialises this client's queries outside the shard lock
	det        *Detector
	lastSeen   int64 // unix nanoseconds, guarded by the shard lock
	prev, next *trackedClient
}

// EntryOverhead is the Tracker's memory per client besides its Detector and
// key bytes: the list entry and a map slot (key header, pointer, and about a
// slot's worth of bucket overhead).
const EntryOverhead = int(unsafe.Sizeof(trackedClient{})) + 16 + 8 + 16

// NewTracker returns an empty tracker.
func NewTracker(cfg TrackerConfig) (*Tracker, error) {
	det, err := cfg.Detector.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.Detector = det
	if cfg.MaxClients == 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.IdleTTL == 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	if cfg.MaxClients < 0 || cfg.IdleTTL < 0 {
		return nil, fmt.Errorf("prada: MaxClients %d and IdleTTL %v must not be negative", cfg.MaxClients, cfg.IdleTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tracker{cfg: cfg, coef: newCoefCache(det.MaxDistances)}
	for i := range t.shards {
		t.shards[i] = trackerShard{clients: make(map[string]*trackedClient)}
	}
	return t, nil
}

// Observe records one query of client, labelled class by the model, and
// returns the decision. A rejected query returns a Decision with Err set.
func (t *Tracker) Observe(client string, x []float32, class int) Decision {
	c := t.client(client)
	c.mu.Lock()
	dec, _ := c.det.Observe(x, class)
	c.mu.Unlock()
	dec.Client = client
	return dec
}

// Len is the number of clients tracked now.
func (t *Tracker) Len() int {
	return int(t.count.Load())
}

// client finds or creates the client's entry, marks it used, and evicts
// entries over the limit or idle, oldest first.
func (t *Tracker) client(key string) *trackedClient {
	s := &t.shards[fnv1a(key)%trackerShards]
	now := t.cfg.Now().UnixNano()
	ttl := int64(t.cfg.IdleTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[key]
	if c != nil && now-c.lastSeen > ttl {
		t.remove(s, c)
		c = nil
	}
	if c == nil {
		c = &trackedClient{key: key, det: newDetector(t.cfg.Detector, t.coef)}
		s.clients[key] = c
		t.count.Add(1)
	} else {
		s.unlink(c)
	}
	c.lastSeen = now
	s.pushFront(c)
	limit := int64(t.cfg.MaxClients)
	for s.tail != c && (t.count.Load() > limit || now-s.tail.lastSeen > ttl) {
		t.remove(s, s.tail)
	}
	return c
}

func (t *Tracker) remove(s *trackerShard, c *trackedClient) {
	s.unlink(c)
	delete(s.clients, c.key)
	t.count.Add(-1)
}

func (s *trackerShard) pushFront(c *trackedClient) {
	c.prev, c.next = nil, s.head
	if s.head != nil {
		s.head.prev = c
	}
	s.head = c
	if s.tail == nil {
		s.tail = c
	}
}

func (s *trackerShard) unlink(c *trackedClient) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		s.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		s.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

// fnv1a hashes the client key without allocating.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
