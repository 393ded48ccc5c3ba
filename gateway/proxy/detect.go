package proxy

import (
	"container/list"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/gateway/extraction"
)

// detectors runs a model's extraction detectors, keyed by principal ID.
type detectors struct {
	prada      *extraction.Tracker
	blacklight *extraction.Blacklight
	signals    *signalsMap
	now        func() time.Time
	maxClients int // clients each detector tracks at most
	perClient  int // bytes one client can hold in all of them, besides its key
}

// verdict is what the detectors said about one request.
type verdict struct {
	Flagged  bool
	Detector string  // the first detector that flagged: prada, blacklight or signals/<signal>
	Score    float64 // PRADA's W, Blacklight's recent near-duplicates, or the signal's score
	reason   string
	explain  func() string // words the reason when asked, if reason is not yet
}

// Reason is the verdict's evidence in words.
func (v verdict) Reason() string {
	if v.explain != nil {
		return strings.TrimSpace(v.explain())
	}
	return v.reason
}

// worded is v with its reason worded once, to be kept and reused.
func (v verdict) worded() verdict {
	v.reason, v.explain = v.Reason(), nil
	return v
}

// newDetectors builds the model's detectors, tracking at most max_clients
// clients, or fewer when max_memory would not hold them at the worst. The
// sharded detectors may hold ClientSlack clients more than their bound,
// so the budget counts them too.
func newDetectors(m *ModelConfig, now func() time.Time) (*detectors, error) {
	d, err := buildDetectors(m, m.Detect.MaxClients, now)
	if err != nil || m.Detect.MaxMemory == 0 || d.perClient == 0 {
		return d, err
	}
	n := m.Detect.MaxMemory/int64(d.perClient) - extraction.ClientSlack
	if n < 1 {
		return nil, fmt.Errorf("detect.max_memory %d bytes holds fewer than %d clients at their worst case of %d bytes each (the least it can bound)",
			m.Detect.MaxMemory, extraction.ClientSlack+1, d.perClient)
	}
	if n >= int64(d.maxClients) {
		return d, nil
	}
	return buildDetectors(m, int(n), now)
}

func buildDetectors(m *ModelConfig, maxClients int, now func() time.Time) (*detectors, error) {
	d := &detectors{now: now, maxClients: maxClients}
	dc := m.Detect
	dc.MaxClients = maxClients
	if p := dc.PRADA; p != nil && p.Enabled {
		t, err := extraction.NewTracker(extraction.TrackerConfig{
			Detector: extraction.Config{Threshold: p.Threshold, MinQueries: p.MinQueries,
				MaxPerClass: p.MaxPerClass, MaxDistances: p.MaxDistances, Dim: m.Input.Features, Classes: m.Classes,
				Terse: true}, // only flags are logged
			MaxClients: dc.MaxClients, IdleTTL: dc.IdleTTL, Now: now})
		if err != nil {
			return nil, fmt.Errorf("prada: %w", err)
		}
		d.prada = t
	}
	if b := dc.Blacklight; b != nil && b.Enabled {
		cfg := extraction.BlacklightConfig{Scale: b.Scale, Step: b.Step, Window: b.Window, TopS: b.TopS,
			MatchThreshold: b.MatchThreshold, AlarmCount: b.AlarmCount, MaxHashes: b.MaxHashes,
			MaxDim: m.Input.Features, MaxClients: dc.MaxClients, IdleTTL: dc.IdleTTL, Now: now}
		if b.Salt != "" {
			cfg.Salt = []byte(b.Salt)
		}
		bl, err := extraction.NewBlacklight(cfg)
		if err != nil {
			return nil, fmt.Errorf("blacklight: %w", err)
		}
		d.blacklight = bl
	}
	if s := dc.Signals; s != nil && s.Enabled {
		cfg := extraction.SignalsConfig{Dim: m.Input.Features, Min: m.Input.Min, Max: m.Input.Max,
			ShortWindow: s.ShortWindow, LongWindow: s.LongWindow, MaxShortRate: s.MaxShortRate, MaxLongRate: s.MaxLongRate,
			DigestRing: s.DigestRing, MaxRepeat: s.MaxRepeat, Bins: s.Bins, MaxCoverage: s.MaxCoverage,
			FewCoords: s.FewCoords, MaxStructure: s.MaxStructure, StepRing: s.StepRing, MinStepCoords: s.MinStepCoords,
			MaxSignSteps: s.MaxSignSteps, MinQueries: s.MinQueries}
		// Fail at start-up, not on the first query, on a bad config; keep
		// the config with its defaults filled in.
		first, err := extraction.NewSignals(cfg)
		if err != nil {
			return nil, fmt.Errorf("signals: %w", err)
		}
		d.signals = &signalsMap{cfg: first.Config(), max: dc.MaxClients, m: map[string]*list.Element{}, lru: list.New()}
	}
	d.perClient = d.memoryPerClient()
	return d, nil
}

// memoryPerClient is the most one client holds in all the detectors on,
// with perClientExtra for what their own bounds leave out.
func (d *detectors) memoryPerClient() int {
	if d.prada == nil && d.blacklight == nil && d.signals == nil {
		return 0
	}
	n := perClientExtra
	if d.prada != nil {
		n += d.prada.MemoryPerClient()
	}
	if d.blacklight != nil {
		n += d.blacklight.MemoryPerClient()
	}
	if d.signals != nil {
		n += d.signals.cfg.MemoryBound() + signalsEntryOverhead
	}
	return n
}

// worstCase is the most the detectors hold in all.
func (d *detectors) worstCase() int64 {
	return int64(d.maxClients+extraction.ClientSlack) * int64(d.perClient)
}

// perClientExtra is what the detectors' own bounds leave out: the client's
// key, copied into each detector's table and the flags' (registry token
// IDs are short; a JWT's is the longest), and a flag if it has one (its
// entry, list element and map slot, and its reason, allowed 1 KiB).
const perClientExtra = 4*(auth.MaxJWTIDBytes+16) + 256 + 1024

// signalsEntryOverhead is signalsMap's memory per client besides the
// Signals: its list element, entry and map slot, roughly.
const signalsEntryOverhead = 128

// observe feeds one query and its label to every detector and returns the
// first flag raised. A query a detector rejects is not a flag (the input
// was validated already; a rejection means a detector's own bound).
func (d *detectors) observe(client string, x []float32, label int) verdict {
	var v verdict
	if d.prada != nil {
		if dec := d.prada.Observe(client, x, label); dec.Err == nil && dec.Flagged {
			v = verdict{Flagged: true, Detector: "prada", Score: dec.W, reason: dec.Reason}
		}
	}
	if d.blacklight != nil {
		if dec := d.blacklight.Observe(client, x); dec.Err == nil && dec.Flagged && !v.Flagged {
			v = verdict{Flagged: true, Detector: "blacklight", Score: float64(dec.Recent), explain: dec.Reason}
		}
	}
	if d.signals != nil {
		if dec := d.signals.get(client).Observe(x, d.now()); dec.Err == nil && dec.Flagged && !v.Flagged {
			name, score := dec.Primary()
			v = verdict{Flagged: true, Detector: "signals/" + name, Score: score, explain: dec.Reason}
		}
	}
	return v
}

// signalsMap keeps one Signals per client, at most max of them, forgetting
// the least recently seen: Signals itself is per client.
type signalsMap struct {
	cfg extraction.SignalsConfig
	max int

	mu  sync.Mutex
	m   map[string]*list.Element
	lru *list.List // of *signalsEntry, most recent first
}

type signalsEntry struct {
	key string
	s   *extraction.Signals
}

func (sm *signalsMap) get(client string) *extraction.Signals {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if e, ok := sm.m[client]; ok {
		sm.lru.MoveToFront(e)
		return e.Value.(*signalsEntry).s
	}
	s, _ := extraction.NewSignals(sm.cfg) // checked in newDetectors
	sm.m[client] = sm.lru.PushFront(&signalsEntry{client, s})
	for sm.lru.Len() > sm.max {
		old := sm.lru.Back()
		sm.lru.Remove(old)
		delete(sm.m, old.Value.(*signalsEntry).key)
	}
	return s
}

// flags remembers flagged clients for a while, bounded like signalsMap,
// so that a blocking policy refuses their next requests before they reach
// the model.
type flags struct {
	ttl time.Duration
	max int

	mu  sync.Mutex
	m   map[string]*list.Element
	lru *list.List // of *flagEntry
}

type flagEntry struct {
	key    string
	at     time.Time
	v      verdict
	shared time.Time // when it last went to the other replicas
}

func newFlags(ttl time.Duration, max int) *flags {
	return &flags{ttl: ttl, max: max, m: map[string]*list.Element{}, lru: list.New()}
}

func (f *flags) set(client string, v verdict, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(client, v, now)
}

func (f *flags) setLocked(client string, v verdict, now time.Time) {
	if e, ok := f.m[client]; ok {
		fe := e.Value.(*flagEntry)
		fe.at, fe.v = now, v
		f.lru.MoveToFront(e)
		return
	}
	f.m[client] = f.lru.PushFront(&flagEntry{key: client, at: now, v: v})
	for f.lru.Len() > f.max {
		old := f.lru.Back()
		f.lru.Remove(old)
		delete(f.m, old.Value.(*flagEntry).key)
	}
}

// setUnlessLonger sets v from at unless the client holds a flag that
// lasts at least as long, in one step: a flag raised here meanwhile is not
// overwritten by an older one from elsewhere.
// With onlyIfAbsent, any unexpired flag stands.
func (f *flags) setUnlessLonger(client string, v verdict, at, now time.Time, onlyIfAbsent bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.m[client]; ok {
		if fe := e.Value.(*flagEntry); now.Sub(fe.at) < f.ttl && (onlyIfAbsent || !fe.at.Before(at)) {
			return false
		}
	}
	f.setLocked(client, v, at)
	return true
}

// shareDue tells whether the client's flag should go to the other
// replicas now: when it never has, or its last copy there is older than
// every, so that a flag kept alive here (each new flag restarts flag_ttl)
// is not dropped elsewhere, without a Redis write per request.
func (f *flags) shareDue(client string, now time.Time, every time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[client]
	if !ok {
		return false
	}
	fe := e.Value.(*flagEntry)
	if !fe.shared.IsZero() && now.Sub(fe.shared) < every {
		return false
	}
	fe.shared = now
	return true
}

func (f *flags) get(client string, now time.Time) (verdict, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[client]
	if !ok {
		return verdict{}, false
	}
	fe := e.Value.(*flagEntry)
	if now.Sub(fe.at) >= f.ttl {
		f.lru.Remove(e)
		delete(f.m, client)
		return verdict{}, false
	}
	return fe.v, true
}
