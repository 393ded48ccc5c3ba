package extraction

import (
	"fmt"
	"sync"
	"time"
	"unsafe"
)

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
	cfg     TrackerConfig
	coef    *coefCache
	clients *lruTable[trackedClient]
}

type trackedClient struct {
	mu  sync.Mutex // serialises this client's queries outside the shard lock
	det *Detector
}

// EntryOverhead is the Tracker's memory per client besides its Detector and
// key bytes: the table entry, the client record and a map slot.
var EntryOverhead = lruOverhead[trackedClient]() + int(unsafe.Sizeof(trackedClient{}))

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
	t.clients = newLRUTable(cfg.MaxClients, cfg.IdleTTL, cfg.Now, func() *trackedClient {
		return &trackedClient{det: newDetector(t.cfg.Detector, t.coef)}
	})
	return t, nil
}

// Observe records one query of client, labelled class by the model, and
// returns the decision. A rejected query returns a Decision with Err set.
func (t *Tracker) Observe(client string, x []float32, class int) Decision {
	c := t.clients.get(client)
	c.mu.Lock()
	dec, _ := c.det.Observe(x, class)
	c.mu.Unlock()
	dec.Client = client
	return dec
}

// Len is the number of clients tracked now.
func (t *Tracker) Len() int { return t.clients.len() }

// MemoryPerClient is the most memory one tracked client holds, besides its
// key: its Detector's bound and the table's overhead.
func (t *Tracker) MemoryPerClient() int { return t.cfg.Detector.MemoryBound() + EntryOverhead }

// fnv1a hashes the client key without allocating.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
