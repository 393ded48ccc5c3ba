package ratelimit

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultMaxKeys is Memory's table size when MemoryOptions.MaxKeys is 0.
const DefaultMaxKeys = 100_000

// memoryShards spreads keys over independent locks; a power of two so that
// a mask picks the shard.
const memoryShards = 64

// EntryOverhead is Memory's memory per key besides the key's bytes: the
// slab entry and about a map slot (string header, index, bucket overhead).
const EntryOverhead = int(unsafe.Sizeof(entry{})) + 16 + 4 + 12

// MemoryOptions sets a Memory limiter. Zero fields take the defaults.
type MemoryOptions struct {
	// MaxKeys bounds the keys tracked at once. Past it, a new key takes the
	// place of the least recently used key of its shard, whose next request
	// then starts with a full bucket and an unused quota: size MaxKeys above
	// the number of clients active within a day, and watch Evictions.
	MaxKeys int
	// Clock is used when Allow is given the zero time; nil means time.Now.
	Clock func() time.Time
}

// Memory is an in-process Limiter with a bounded table of keys. It is safe
// for concurrent use.
type Memory struct {
	clock     func() time.Time
	seed      maphash.Seed
	mask      uint64
	evictions atomic.Int64
	shards    []memoryShard
}

type memoryShard struct {
	mu      sync.Mutex
	index   map[string]int32
	entries []entry // slab, grown up to max; never shrinks
	max     int
	head    int32    // most recently used, -1 when empty
	tail    int32    // least recently used, -1 when empty
	_       [64]byte // keep neighbouring shards' locks off one cache line
}

// entry is one key in a shard's slab, linked by index into the shard's
// recency list so that the slab holds no pointers besides the key.
type entry struct {
	key        string
	st         state
	prev, next int32
}

// NewMemory returns an empty in-process limiter.
func NewMemory(opt MemoryOptions) *Memory {
	return newMemory(opt, memoryShards)
}

// newMemory lets tests choose the number of shards (a power of two).
func newMemory(opt MemoryOptions, n int) *Memory {
	if opt.MaxKeys <= 0 {
		opt.MaxKeys = DefaultMaxKeys
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	for n > 1 && n > opt.MaxKeys { // every shard must hold at least one key
		n /= 2
	}
	m := &Memory{clock: opt.Clock, seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]memoryShard, n)}
	for i := range m.shards {
		// Spread the remainder so that the shards hold exactly MaxKeys.
		size := opt.MaxKeys / n
		if i < opt.MaxKeys%n {
			size++
		}
		m.shards[i] = memoryShard{index: map[string]int32{}, max: size, head: -1, tail: -1}
	}
	return m
}

// Allow implements Limiter. It never blocks on I/O; ctx is not consulted.
func (m *Memory) Allow(ctx context.Context, key string, l Limit, now time.Time) (Decision, error) {
	return m.AllowN(ctx, key, l, 1, now)
}

// AllowN implements Limiter for a request that costs n tokens.
func (m *Memory) AllowN(_ context.Context, key string, l Limit, n int, now time.Time) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	if err := checkCost(n, l); err != nil {
		return Decision{}, err
	}
	if len(key) > MaxKeyLen {
		return Decision{}, ErrKeyTooLong
	}
	if now.IsZero() {
		now = m.clock()
	}
	ns, err := unixNano(now)
	if err != nil {
		return Decision{}, err
	}
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	d := decide(&s.entries[s.lookup(key, &m.evictions)].st, l, n, ns)
	s.mu.Unlock()
	return d, nil
}

// Refund implements Limiter. A key forgotten since its charge has
// nothing to give back.
func (m *Memory) Refund(_ context.Context, key string, l Limit, n int, now time.Time) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := checkCost(n, l); err != nil {
		return err
	}
	if now.IsZero() {
		now = m.clock()
	}
	ns, err := unixNano(now)
	if err != nil {
		return err
	}
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	if i, ok := s.index[key]; ok {
		refund(&s.entries[i].st, l, n, ns)
	}
	s.mu.Unlock()
	return nil
}

// Len is the number of keys tracked.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// Evictions counts keys forgotten to make room since the limiter was made.
func (m *Memory) Evictions() int64 { return m.evictions.Load() }

// lookup returns key's slot, making it the most recently used, and creates
// it (evicting the least recently used key when full) if absent. The caller
// holds s.mu.
func (s *memoryShard) lookup(key string, evictions *atomic.Int64) int32 {
	if i, ok := s.index[key]; ok {
		s.touch(i)
		return i
	}
	var i int32
	if len(s.entries) < s.max {
		s.entries = append(s.entries, entry{})
		i = int32(len(s.entries) - 1)
	} else {
		i = s.tail
		s.unlink(i)
		delete(s.index, s.entries[i].key)
		evictions.Add(1)
	}
	// Clone so that the table never pins a larger request buffer.
	s.entries[i] = entry{key: strings.Clone(key), prev: -1, next: -1}
	s.index[s.entries[i].key] = i
	s.pushFront(i)
	return i
}

// touch moves slot i to the front of the recency list.
func (s *memoryShard) touch(i int32) {
	if s.head == i {
		return
	}
	s.unlink(i)
	s.pushFront(i)
}

func (s *memoryShard) unlink(i int32) {
	e := &s.entries[i]
	if e.prev >= 0 {
		s.entries[e.prev].next = e.next
	} else {
		s.head = e.next
	}
	if e.next >= 0 {
		s.entries[e.next].prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (s *memoryShard) pushFront(i int32) {
	e := &s.entries[i]
	e.prev, e.next = -1, s.head
	if s.head >= 0 {
		s.entries[s.head].prev = i
	}
	s.head = i
	if s.tail < 0 {
		s.tail = i
	}
}
