package extraction

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// trackerShards spreads clients over independent locks so that requests of
// different clients rarely wait on one another.
const trackerShards = 64

// ClientSlack is how many clients over MaxClients a Tracker or Blacklight
// may hold at once: each shard forgets its own least recently seen.
const ClientSlack = trackerShards - 1

// lruTable maps client keys to per-client state, the same way for every
// detector: sharded, at most max entries (past it, a new client makes the
// least recently seen client of its own shard be forgotten: an
// approximation of global LRU that needs no global lock, so the total can
// pass max by at most trackerShards-1), and entries idle longer than ttl
// are dropped as they are reached.
type lruTable[T any] struct {
	shards [trackerShards]lruShard[T]
	count  atomic.Int64
	max    int64
	ttl    int64
	now    func() time.Time
	fresh  func() *T
}

type lruShard[T any] struct {
	mu         sync.Mutex
	m          map[string]*lruEntry[T]
	head, tail *lruEntry[T] // least recently used list; head is the newest
}

type lruEntry[T any] struct {
	key        string
	lastSeen   int64 // unix nanoseconds, guarded by the shard lock
	prev, next *lruEntry[T]
	val        *T
}

// lruOverhead is the table's memory per client besides the state and the
// key bytes: the list entry and a map slot (key header, pointer, and about
// a slot's worth of bucket overhead).
func lruOverhead[T any]() int { return int(unsafe.Sizeof(lruEntry[T]{})) + 16 + 8 + 16 }

func newLRUTable[T any](max int, ttl time.Duration, now func() time.Time, fresh func() *T) *lruTable[T] {
	t := &lruTable[T]{max: int64(max), ttl: int64(ttl), now: now, fresh: fresh}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*lruEntry[T])
	}
	return t
}

// get finds or creates the client's state, marks it used, and evicts
// entries over the limit or idle, oldest first.
func (t *lruTable[T]) get(key string) *T {
	s := &t.shards[fnv1a(key)%trackerShards]
	now := t.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e != nil && now-e.lastSeen > t.ttl {
		t.remove(s, e)
		e = nil
	}
	if e == nil {
		e = &lruEntry[T]{key: key, val: t.fresh()}
		s.m[key] = e
		t.count.Add(1)
	} else {
		s.unlink(e)
	}
	e.lastSeen = now
	s.pushFront(e)
	for s.tail != e && (t.count.Load() > t.max || now-s.tail.lastSeen > t.ttl) {
		t.remove(s, s.tail)
	}
	return e.val
}

// len is the number of clients tracked now.
func (t *lruTable[T]) len() int { return int(t.count.Load()) }

func (t *lruTable[T]) remove(s *lruShard[T], e *lruEntry[T]) {
	s.unlink(e)
	delete(s.m, e.key)
	t.count.Add(-1)
}

func (s *lruShard[T]) pushFront(e *lruEntry[T]) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *lruShard[T]) unlink(e *lruEntry[T]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
