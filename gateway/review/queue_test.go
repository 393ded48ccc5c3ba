package review

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestLifecycleApprove(t *testing.T) {
	q, clock := newTestQueue(t, Config{})
	resp := []byte(`{"outputs":[{"name":"label","data":[7]}]}`)
	it := mustHold(t, q, "alice", resp)
	if !ValidID(it.ID) || it.State != StatePending || it.ResponseBytes != len(resp) {
		t.Fatalf("held item %+v", it)
	}
	if want := it.Created.Add(DefaultTTL); !it.Expires.Equal(want) {
		t.Fatalf("expires %v, want %v", it.Expires, want)
	}
	resp[0] = 'X' // the queue must have copied the response
	if _, _, err := q.Collect(it.ID, "alice"); !errors.Is(err, ErrPending) {
		t.Fatalf("collect pending: %v", err)
	}
	clock.Advance(time.Minute)
	got, err := q.Decide(it.ID, true, "root", "looks benign")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateApproved || got.Reviewer != "root" || got.Note != "looks benign" ||
		!got.Decided.Equal(clock.Now()) {
		t.Fatalf("decided item %+v", got)
	}
	if _, err := q.Decide(it.ID, false, "root", ""); !errors.Is(err, ErrDecided) {
		t.Fatalf("second decision: %v", err)
	}
	got, data, err := q.Collect(it.ID, "alice")
	if err != nil || got.State != StateCollected {
		t.Fatalf("collect: %v %+v", err, got)
	}
	if want := `{"outputs":[{"name":"label","data":[7]}]}`; string(data) != want {
		t.Fatalf("collected %q, want %q", data, want)
	}
	if _, data, err := q.Collect(it.ID, "alice"); !errors.Is(err, ErrCollected) || data != nil {
		t.Fatalf("second collect: %v %q", err, data)
	}
	if s := q.Stats(); s != (Stats{Collected: 1}) {
		t.Fatalf("stats %+v", s)
	}
	clock.Advance(DefaultKeepDecided)
	if _, ok := q.Get(it.ID); ok {
		t.Fatal("collected item not forgotten after KeepDecided")
	}
	if s := q.Stats(); s != (Stats{}) {
		t.Fatalf("stats after forgetting %+v", s)
	}
}

func TestLifecycleReject(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", []byte("answer"))
	got, err := q.Decide(it.ID, false, "root", "extraction")
	if err != nil || got.State != StateRejected {
		t.Fatalf("reject: %v %+v", err, got)
	}
	if s := q.Stats(); s.HeldBytes != 0 || s.Rejected != 1 {
		t.Fatalf("rejection must free the bytes: %+v", s)
	}
	if _, data, err := q.Collect(it.ID, "alice"); !errors.Is(err, ErrRejected) || data != nil {
		t.Fatalf("collect rejected: %v %q", err, data)
	}
}

func TestCollectOtherPrincipalIsNotFound(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", []byte("secret answer"))
	if _, err := q.Decide(it.ID, true, "root", ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"mallory", "", "Alice", "alice "} {
		got, data, err := q.Collect(it.ID, who)
		if !errors.Is(err, ErrNotFound) || data != nil || got != (Item{}) {
			t.Fatalf("collect by %q: %v %q %+v", who, err, data, got)
		}
	}
	// the real principal still gets it: the failed attempts consumed nothing
	if _, data, err := q.Collect(it.ID, "alice"); err != nil || string(data) != "secret answer" {
		t.Fatalf("owner collect: %v %q", err, data)
	}
}

func TestUnknownIDs(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	mustHold(t, q, "alice", nil)
	for _, id := range []string{"", "rv_", newID(), "rv_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if _, ok := q.Get(id); ok {
			t.Fatalf("Get(%q) found something", id)
		}
		if _, err := q.Decide(id, true, "root", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Decide(%q): %v", id, err)
		}
		if _, _, err := q.Collect(id, "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Collect(%q): %v", id, err)
		}
	}
}

func TestTTLExpiry(t *testing.T) {
	q, clock := newTestQueue(t, Config{TTL: time.Minute, KeepDecided: 2 * time.Minute})
	it := mustHold(t, q, "alice", []byte("abc"))
	clock.Advance(time.Minute - time.Nanosecond)
	if got, _ := q.Get(it.ID); got.State != StatePending {
		t.Fatalf("expired early: %+v", got)
	}
	clock.Advance(time.Nanosecond)
	q.Sweep()
	if s := q.Stats(); s != (Stats{Expired: 1}) {
		t.Fatalf("stats after expiry %+v", s)
	}
	if _, err := q.Decide(it.ID, true, "root", ""); !errors.Is(err, ErrExpired) {
		t.Fatalf("decide expired: %v", err)
	}
	if _, _, err := q.Collect(it.ID, "alice"); !errors.Is(err, ErrExpired) {
		t.Fatalf("collect expired: %v", err)
	}
	clock.Advance(2*time.Minute - time.Nanosecond)
	if _, ok := q.Get(it.ID); !ok {
		t.Fatal("expired item forgotten before KeepDecided")
	}
	clock.Advance(time.Nanosecond)
	if _, ok := q.Get(it.ID); ok {
		t.Fatal("expired item still remembered after KeepDecided")
	}
}

func TestApprovedUncollectedIsForgottenAndFreed(t *testing.T) {
	q, clock := newTestQueue(t, Config{KeepDecided: time.Minute})
	it := mustHold(t, q, "alice", []byte("abcdef"))
	if _, err := q.Decide(it.ID, true, "root", ""); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.HeldBytes != 6 {
		t.Fatalf("approved item must keep its bytes: %+v", s)
	}
	clock.Advance(time.Minute)
	if s := q.Stats(); s != (Stats{}) {
		t.Fatalf("stats %+v", s)
	}
	if _, _, err := q.Collect(it.ID, "alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("collect forgotten: %v", err)
	}
}

func TestLimits(t *testing.T) {
	t.Run("per principal", func(t *testing.T) {
		q, _ := newTestQueue(t, Config{MaxPerPrincipal: 2})
		a := mustHold(t, q, "alice", nil)
		mustHold(t, q, "alice", nil)
		if _, err := q.Hold("alice", "digits", "", testEvidence, "", nil); !errors.Is(err, ErrFull) {
			t.Fatalf("third hold: %v", err)
		}
		mustHold(t, q, "bob", nil) // others are unaffected
		if _, err := q.Decide(a.ID, false, "root", ""); err != nil {
			t.Fatal(err)
		}
		mustHold(t, q, "alice", nil) // a decision makes room
	})
	t.Run("global", func(t *testing.T) {
		q, _ := newTestQueue(t, Config{MaxPending: 3})
		for _, p := range []string{"a", "b", "c"} {
			mustHold(t, q, p, nil)
		}
		_, err := q.Hold("d", "digits", "", testEvidence, "", nil)
		if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "pending") {
			t.Fatalf("fourth hold: %v", err)
		}
	})
	t.Run("item bytes", func(t *testing.T) {
		q, _ := newTestQueue(t, Config{MaxResponseBytes: 10})
		mustHold(t, q, "a", make([]byte, 10))
		if _, err := q.Hold("a", "digits", "", testEvidence, "", make([]byte, 11)); !errors.Is(err, ErrFull) {
			t.Fatalf("oversized: %v", err)
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		q, _ := newTestQueue(t, Config{MaxResponseBytes: 10, MaxTotalBytes: 25})
		mustHold(t, q, "a", make([]byte, 10))
		b := mustHold(t, q, "b", make([]byte, 10))
		if _, err := q.Hold("c", "digits", "", testEvidence, "", make([]byte, 6)); !errors.Is(err, ErrFull) {
			t.Fatalf("over total: %v", err)
		}
		mustHold(t, q, "c", make([]byte, 5))
		if _, err := q.Decide(b.ID, true, "root", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := q.Collect(b.ID, "b"); err != nil {
			t.Fatal(err)
		}
		mustHold(t, q, "d", make([]byte, 10)) // collection freed b's bytes
	})
	t.Run("items", func(t *testing.T) {
		q, _ := newTestQueue(t, Config{MaxPending: 2, MaxItems: 2})
		a := mustHold(t, q, "a", nil)
		mustHold(t, q, "b", nil)
		if _, err := q.Decide(a.ID, false, "root", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Hold("c", "digits", "", testEvidence, "", nil); !errors.Is(err, ErrFull) {
			t.Fatalf("over max items: %v", err)
		}
	})
}

func TestHoldRejectsBadArguments(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	long := strings.Repeat("x", MaxFieldBytes+1)
	cases := []struct {
		name                   string
		principal, model, summ string
		ev                     Evidence
	}{
		{"no principal", "", "m", "", testEvidence},
		{"no model", "p", "", "", testEvidence},
		{"long principal", long, "m", "", testEvidence},
		{"long summary", "p", "m", long, testEvidence},
		{"long reason", "p", "m", "", Evidence{Reason: long}},
		{"NaN score", "p", "m", "", Evidence{Score: math.NaN()}},
		{"Inf score", "p", "m", "", Evidence{Score: math.Inf(-1)}},
	}
	for _, c := range cases {
		if _, err := q.Hold(c.principal, c.model, "", c.ev, c.summ, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	it := mustHold(t, q, "p", nil)
	if _, err := q.Decide(it.ID, true, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("decision without reviewer: %v", err)
	}
	if _, err := q.Decide(it.ID, true, "root", long); !errors.Is(err, ErrInvalid) {
		t.Errorf("long note: %v", err)
	}
	if s := q.Stats(); s.Pending != 1 {
		t.Fatalf("refused arguments changed the queue: %+v", s)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	bad := []Config{
		{MaxPending: -1},
		{TTL: -time.Second},
		{KeepDecided: -1},
		{MaxResponseBytes: 100, MaxTotalBytes: 99},
		{MaxPending: 10, MaxItems: 9},
	}
	for _, c := range bad {
		if _, err := New(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%+v): %v", c, err)
		}
	}
	q, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if q.cfg.MaxItems != DefaultMaxPending*DefaultItemsPerPending || q.cfg.TTL != DefaultTTL {
		t.Fatalf("defaults not applied: %+v", q.cfg)
	}
}

func TestItemJSON(t *testing.T) {
	q, _ := newTestQueue(t, Config{})
	it := mustHold(t, q, "alice", []byte("xyz"))
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"rv_`, `"principal":"alice"`, `"evidence":{"detector":"blacklight"`,
		`"response_bytes":3`, `"state":"pending"`, `"summary":"label 7"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	for _, absent := range []string{`"decided"`, `"reviewer"`, `"note"`, `xyz`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("JSON %s has %s", b, absent)
		}
	}
}
