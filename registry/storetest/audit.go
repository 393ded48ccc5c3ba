package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

func newToken(id string) *registry.Token {
	return &registry.Token{
		ID: id, SecretHash: secret(id), Name: "ci " + id, Role: registry.RolePublisher,
		Models: []string{"m", "n"}, CreatedBy: "local:admin",
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 678912345, time.UTC),
	}
}

func testTokens(t *testing.T, open Opener) {
	s := open(t)
	var made []*registry.Token
	for i := range 12 {
		tok := newToken(fmt.Sprintf("tok-%02d", i))
		if i%3 == 0 {
			tok.Models, tok.BoundVersion = nil, "m@1"
		}
		if err := s.CreateToken(ctx(t), tok, entry("token.create")); err != nil {
			t.Fatal(err)
		}
		if tok.CreatedAt.IsZero() || tok.ExpiresAt.Nanosecond()%1000 != 0 {
			t.Fatalf("token times not stamped: %v %v", tok.CreatedAt, tok.ExpiresAt)
		}
		made = append(made, tok)
	}
	got, err := s.Token(ctx(t), "tok-04")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "token read back", got, made[4])
	err = s.CreateToken(ctx(t), newToken("tok-04"), entry("token.create"))
	isErr(t, "duplicate token id", err, registry.ErrConflict)

	var listed []*registry.Token
	after := ""
	for pages := 0; ; pages++ {
		page, next, err := s.Tokens(ctx(t), registry.Page{After: after, Limit: 5})
		if err != nil || len(page) > 5 || pages > 3 {
			t.Fatalf("token page %d: %d tokens, %v", pages, len(page), err)
		}
		listed = append(listed, page...)
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "token listing", listed, made)

	revoked := time.Now()
	up, err := s.UpdateToken(ctx(t), "tok-07", func(tok *registry.Token) (*registry.AuditEntry, error) {
		tok.RevokedAt = revoked
		return entry("token.revoke"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !up.RevokedAt.Equal(revoked.Truncate(time.Microsecond)) {
		t.Fatalf("revoked at %v, want %v", up.RevokedAt, revoked)
	}
	got, _ = s.Token(ctx(t), "tok-07")
	equal(t, "updated token read back", got, up)
	_, err = s.UpdateToken(ctx(t), "tok-07", func(tok *registry.Token) (*registry.AuditEntry, error) {
		tok.ID = "tok-99"
		return entry("token.rename"), nil
	})
	if err == nil {
		t.Fatal("UpdateToken let fn change the id")
	}
	_, err = s.UpdateToken(ctx(t), "tok-07", func(tok *registry.Token) (*registry.AuditEntry, error) {
		tok.Role = registry.RoleAdmin
		return nil, errRefused
	})
	if err != errRefused {
		t.Fatalf("fn's error was not returned unchanged: %v", err)
	}
	got, _ = s.Token(ctx(t), "tok-07")
	equal(t, "token after a failed update", got, up)
	if n := verify(t, s); n != 13 {
		t.Fatalf("log has %d entries, want 13", n)
	}
}

func testAudit(t *testing.T, open Opener) {
	s := open(t)
	if seq, hash, err := s.Head(ctx(t)); seq != 0 || hash != nil || err != nil {
		t.Fatalf("empty log: Head = %d %x %v", seq, hash, err)
	}
	var appended []registry.AuditEntry
	for i := range 10 {
		e := entry(fmt.Sprintf("action.%d", i))
		e.Reason = "because"
		if i == 3 {
			e.Time = time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600))
		}
		if err := s.Append(ctx(t), e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d got seq %d", i, e.Seq)
		}
		appended = append(appended, *e)
	}
	log := auditAll(t, s)
	equal(t, "audit log read back", log, appended)
	if !log[3].Time.Equal(time.Date(2026, 5, 6, 6, 8, 9, 123456000, time.UTC)) {
		t.Fatalf("a given time was not kept (UTC, microseconds): %v", log[3].Time)
	}
	mid, err := s.Audit(ctx(t), 4, 3)
	if err != nil || len(mid) != 3 || mid[0].Seq != 5 || mid[2].Seq != 7 {
		t.Fatalf("Audit(4, 3): %d entries, %v", len(mid), err)
	}
	if _, _, err := registry.VerifyChain(4, log[3].Hash, mid); err != nil {
		t.Fatalf("a page does not verify after its predecessor: %v", err)
	}
	verify(t, s)
}

// testConcurrentWriters runs writers of every kind at once; the log must
// come out gap-free and verifying, with one entry per acknowledged call,
// and no update may be lost.
func testConcurrentWriters(t *testing.T, open Opener) {
	s := open(t)
	const writers, each, models = 8, 50, 3
	for m := range models {
		mustCreate(t, s, fmt.Sprintf("m%d", m), 0)
	}
	var entries, bumps [models]atomic.Int64
	var tokens atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := (w + i) % models
				model := fmt.Sprintf("m%d", m)
				var err error
				switch i % 4 {
				case 0:
					err = s.CreateVersion(ctx(t), newVersion(model, i), entry("version.push"))
				case 1, 2:
					_, err = s.UpdateVersion(ctx(t), model, 1, func(v *registry.Version) (*registry.AuditEntry, error) {
						v.Findings++
						return entry("version.finding"), nil
					})
					bumps[m].Add(1)
				case 3:
					tokens.Add(1)
					err = s.CreateToken(ctx(t), newToken(fmt.Sprintf("w%d-%d", w, i)), entry("token.create"))
				}
				if err != nil {
					t.Errorf("writer %d op %d: %v", w, i, err)
					return
				}
				entries[m].Add(1)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := verify(t, s); n != models+writers*each {
		t.Fatalf("log has %d entries, want %d", n, models+writers*each)
	}
	for m := range models {
		v, err := s.Version(ctx(t), fmt.Sprintf("m%d", m), 1)
		if err != nil {
			t.Fatal(err)
		}
		if int64(v.Findings) != bumps[m].Load() || v.Revision != bumps[m].Load()+1 {
			t.Fatalf("m%d@1: findings %d, revision %d after %d updates: updates were lost", m, v.Findings, v.Revision, bumps[m].Load())
		}
		checkNumbering(t, s, fmt.Sprintf("m%d", m))
	}
}

// checkNumbering checks a model's versions are numbered 1..n.
func checkNumbering(t *testing.T, s registry.Store, model string) {
	t.Helper()
	list, _, err := s.Versions(ctx(t), model, registry.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range list {
		if v.Number != int64(len(list)-i) {
			t.Fatalf("%s: versions are not numbered 1..%d: position %d holds %d", model, len(list), i, v.Number)
		}
	}
}

func testCheckpoints(t *testing.T, open Opener) {
	s := open(t)
	if cps, err := s.Checkpoints(ctx(t)); err != nil || len(cps) != 0 {
		t.Fatalf("no checkpoints yet: %d, %v", len(cps), err)
	}
	var want []registry.Checkpoint
	for i := range 3 {
		e := entry("note")
		if err := s.Append(ctx(t), e); err != nil {
			t.Fatal(err)
		}
		c := registry.Checkpoint{Seq: e.Seq, Hash: e.Hash, KeyID: fmt.Sprintf("key-%d", i%2), Signature: bytes.Repeat([]byte{byte(i)}, 64)}
		if i == 1 {
			c.Time = time.Date(2026, 1, 1, 0, 0, 0, 999, time.UTC)
		}
		if err := s.AddCheckpoint(ctx(t), &c); err != nil {
			t.Fatal(err)
		}
		if c.Time.IsZero() || c.Time.Nanosecond()%1000 != 0 {
			t.Fatalf("checkpoint time not stamped: %v", c.Time)
		}
		want = append(want, c)
	}
	got, err := s.Checkpoints(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "checkpoints read back", got, want)
}

// testDetailJSON stores details whose bytes a JSON-rewriting database
// would change (key order, spacing, escapes, a number Go cannot decode):
// each must read back byte for byte as it was sealed (registry.Seal writes
// one canonical spelling) and the chain must still verify.
func testDetailJSON(t *testing.T, open Opener) {
	s := open(t)
	details := []string{
		`{"zeta": 1, "alpha": {"ü": "naïve ☃ 😀", "b": [3, 2, 1]}, "mid": "\u00e9\n\t"}`,
		`{"b":1,"a":1.50,"c":1e2,"d":-0,"e":12345678901234567891}`,
		`{"huge":1e400}`,
		`["\u2028","<&>",null,true]`,
		`"a string"`,
		`{"dup":1,"dup":2}`,
	}
	var sealed []string
	for _, d := range details {
		e := entry("note")
		e.Detail = json.RawMessage(d)
		if err := s.Append(ctx(t), e); err != nil {
			t.Fatalf("detail %s: %v", d, err)
		}
		sealed = append(sealed, string(e.Detail))
	}
	for i, e := range auditAll(t, s) {
		if string(e.Detail) != sealed[i] {
			t.Fatalf("detail changed in the store:\n got  %s\n want %s", e.Detail, sealed[i])
		}
	}
	verify(t, s)
}

func testReopen(t *testing.T, open Opener) {
	s := open(t)
	v := mustCreate(t, s, "m", 1)
	tok := newToken("tok")
	if err := s.CreateToken(ctx(t), tok, entry("token.create")); err != nil {
		t.Fatal(err)
	}
	c := registry.Checkpoint{Seq: 2, Hash: []byte("h"), KeyID: "k", Signature: []byte("s")}
	if err := s.AddCheckpoint(ctx(t), &c); err != nil {
		t.Fatal(err)
	}
	log := auditAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second open finds nothing to migrate
		s = open(t)
		got, err := s.Version(ctx(t), "m", 1)
		if err != nil {
			t.Fatalf("reopen %d: %v", round, err)
		}
		equal(t, "version after reopening", got, v)
		gt, err := s.Token(ctx(t), "tok")
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "token after reopening", gt, tok)
		cps, err := s.Checkpoints(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "checkpoints after reopening", cps, []registry.Checkpoint{c})
		equal(t, "log after reopening", auditAll(t, s)[:len(log)], log)
		mustCreate(t, s, "m", 2+round)
		verify(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
