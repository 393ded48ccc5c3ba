package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

func testVersions(t *testing.T, open Opener) {
	s := open(t)
	const n = 23
	var created []*registry.Version
	for i := 1; i <= n; i++ {
		v := newVersion("m", i)
		v.Evaluation = json.RawMessage(`{"accuracy":0.93,"robust":{"pgd":0.41}}`)
		e := entry("version.push")
		if err := s.CreateVersion(ctx(t), v, e); err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Number != int64(i) || v.State != registry.Registered || v.Revision != 1:
			t.Fatalf("push %d: number %d, state %s, revision %d", i, v.Number, v.State, v.Revision)
		case e.Model != "m" || e.Version != v.Number || e.Seq != int64(2*i-1) || len(e.Hash) == 0:
			t.Fatalf("push %d: entry not filled in: %+v", i, e)
		case v.CreatedAt.IsZero() || !v.UpdatedAt.Equal(v.CreatedAt):
			t.Fatalf("push %d: times %v %v", i, v.CreatedAt, v.UpdatedAt)
		}
		created = append(created, v)
		mustCreate(t, s, "other", i) // interleaved: numbering is per model
	}
	for _, want := range created {
		got, err := s.Version(ctx(t), "m", want.Number)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "version read back", got, want)
	}
	pages := listAllVersions(t, s, "m", 5)
	if len(pages) != 5 {
		t.Fatalf("%d versions in pages of 5 gave %d pages", n, len(pages))
	}
	var seen []*registry.Version
	for _, p := range pages {
		seen = append(seen, p...)
	}
	for i, v := range seen {
		if v.Number != int64(n-i) {
			t.Fatalf("listing position %d holds version %d, want %d (newest first, no gaps or duplicates)", i, v.Number, n-i)
		}
	}
	if len(seen) != n {
		t.Fatalf("listing has %d versions, want %d", len(seen), n)
	}
	all := listAllVersions(t, s, "m", 0)
	if len(all) != 1 || len(all[0]) != n {
		t.Fatalf("Limit 0 should give every version in one page, got %d pages", len(all))
	}
	if _, _, err := s.Versions(ctx(t), "m", registry.Page{After: "not a cursor"}); err == nil {
		t.Fatal("a forged cursor was accepted")
	}
}

// listAllVersions follows cursors to the end and returns the pages.
func listAllVersions(t *testing.T, s registry.Store, model string, limit int) [][]*registry.Version {
	t.Helper()
	var pages [][]*registry.Version
	after := ""
	for range 1000 {
		page, next, err := s.Versions(ctx(t), model, registry.Page{After: after, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if limit > 0 && len(page) > limit {
			t.Fatalf("page of %d with Limit %d", len(page), limit)
		}
		pages = append(pages, page)
		if next == "" {
			return pages
		}
		after = next
	}
	t.Fatal("the listing never ended")
	return nil
}

func testModels(t *testing.T, open Opener) {
	s := open(t)
	names := []string{"alpha", "beta", "delta", "epsilon", "gamma"}
	for i, m := range names {
		for j := 0; j <= i; j++ {
			mustCreate(t, s, m, j)
		}
	}
	if _, err := s.UpdateVersion(ctx(t), "delta", 2, setState(registry.Deployed)); err != nil {
		t.Fatal(err)
	}
	var got []registry.ModelSummary
	after := ""
	for pages := 0; ; pages++ {
		page, next, err := s.Models(ctx(t), registry.Page{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 || pages > len(names) {
			t.Fatalf("page %d has %d models", pages, len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		after = next
	}
	if len(got) != len(names) {
		t.Fatalf("listed %d models, want %d", len(got), len(names))
	}
	for i, m := range got {
		if m.Model != names[i] || m.Versions != int64(i+1) || m.UpdatedAt.IsZero() {
			t.Fatalf("model %d: %+v", i, m)
		}
		if want := map[bool]int64{true: 2}[m.Model == "delta"]; m.Deployed != want {
			t.Fatalf("model %s: deployed %d, want %d", m.Model, m.Deployed, want)
		}
	}
}

func testUpdateVersion(t *testing.T, open Opener) {
	s := open(t)
	v := mustCreate(t, s, "m", 1)
	time.Sleep(2 * time.Millisecond) // so UpdatedAt must move
	var e *registry.AuditEntry
	got, err := s.UpdateVersion(ctx(t), "m", 1, func(v *registry.Version) (*registry.AuditEntry, error) {
		v.State, v.Signer, v.Findings = registry.Verified, "bob@example.com", 3
		e = entry("version.transition")
		e.From, e.To = registry.Registered, registry.Verified
		return e, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 2 || !got.UpdatedAt.After(v.UpdatedAt) || !got.CreatedAt.Equal(v.CreatedAt) {
		t.Fatalf("after update: revision %d, updated %v (was %v)", got.Revision, got.UpdatedAt, v.UpdatedAt)
	}
	if e.Seq != 2 || e.Model != "m" || e.Version != 1 {
		t.Fatalf("the update's entry was not appended and filled in: %+v", e)
	}
	read, err := s.Version(ctx(t), "m", 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "updated version read back", read, got)
	log := auditAll(t, s)
	if len(log) != 2 || log[1].Action != "version.transition" || log[1].To != registry.Verified {
		t.Fatalf("log after update: %+v", log)
	}
	verify(t, s)
}

var errRefused = errors.New("refused by the caller")

func testUpdateFailure(t *testing.T, open Opener) {
	s := open(t)
	before := mustCreate(t, s, "m", 1)
	fails := map[string]func(*registry.Version) (*registry.AuditEntry, error){
		"fn error": func(v *registry.Version) (*registry.AuditEntry, error) {
			v.State, v.Reason = registry.Deployed, "half done"
			return entry("version.transition"), errRefused
		},
		"no entry": func(v *registry.Version) (*registry.AuditEntry, error) {
			v.Reason = "unrecorded"
			return nil, nil
		},
		"identity change": func(v *registry.Version) (*registry.AuditEntry, error) {
			v.Number = 7
			return entry("version.transition"), nil
		},
		"unknown state": func(v *registry.Version) (*registry.AuditEntry, error) {
			v.State = "live"
			return entry("version.transition"), nil
		},
	}
	for name, fn := range fails {
		got, err := s.UpdateVersion(ctx(t), "m", 1, fn)
		switch {
		case err == nil || got != nil:
			t.Fatalf("%s: UpdateVersion succeeded", name)
		case name == "fn error" && err != errRefused:
			t.Fatalf("fn's error was not returned unchanged: %v", err)
		}
		after, err := s.Version(ctx(t), "m", 1)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, name+": version after a failed update", after, before)
		if n := verify(t, s); n != 1 {
			t.Fatalf("%s: a failed update appended; the log has %d entries", name, n)
		}
	}
}

func testDeployRule(t *testing.T, open Opener) {
	s := open(t)
	for i := 1; i <= 3; i++ {
		mustCreate(t, s, "m", i)
	}
	mustCreate(t, s, "n", 1)
	if _, err := s.UpdateVersion(ctx(t), "m", 1, setState(registry.Deployed)); err != nil {
		t.Fatal(err)
	}
	_, err := s.UpdateVersion(ctx(t), "m", 2, setState(registry.Deployed))
	isErr(t, "second deployed version", err, registry.ErrConflict)
	if _, err := s.UpdateVersion(ctx(t), "n", 1, setState(registry.Deployed)); err != nil {
		t.Fatalf("another model's deployment is independent: %v", err)
	}
	// Changing the deployed version itself stays possible.
	if _, err := s.UpdateVersion(ctx(t), "m", 1, func(v *registry.Version) (*registry.AuditEntry, error) {
		v.Reason = "annotated"
		return entry("version.note"), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateVersion(ctx(t), "m", 1, setState(registry.Deprecated)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateVersion(ctx(t), "m", 2, setState(registry.Deployed)); err != nil {
		t.Fatalf("deploy after the previous one was deprecated: %v", err)
	}
	v2, _ := s.Version(ctx(t), "m", 2)
	if v2.State != registry.Deployed {
		t.Fatalf("m@2 is %s", v2.State)
	}
	verify(t, s)
}

func testDeployRace(t *testing.T, open Opener) {
	s := open(t)
	for round := range 10 {
		model := fmt.Sprintf("race%d", round)
		const racers = 4
		for i := 1; i <= racers; i++ {
			mustCreate(t, s, model, i)
		}
		var wg sync.WaitGroup
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-start
				_, errs[i] = s.UpdateVersion(ctx(t), model, int64(i+1), setState(registry.Deployed))
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, registry.ErrConflict):
				t.Fatalf("losing deploy: %v, want ErrConflict", err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d deploys won, want exactly 1", round, wins)
		}
	}
	verify(t, s)
}

func testLargeVersion(t *testing.T, open Opener) {
	s := open(t)
	v := newVersion("big", 0)
	v.Files = make([]registry.File, 10000)
	for i := range v.Files {
		v.Files[i] = registry.File{Path: fmt.Sprintf("shards/model-%05d-of-10000.safetensors", i), Digest: fmt.Sprintf("%064x", i), Size: int64(i) << 20}
	}
	if err := s.CreateVersion(ctx(t), v, entry("version.push")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Version(ctx(t), "big", 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "10,000-file version", got, v)
}

func testNotFound(t *testing.T, open Opener) {
	s := open(t)
	mustCreate(t, s, "m", 1)
	_, err := s.Version(ctx(t), "m", 2)
	isErr(t, "Version(m, 2)", err, registry.ErrNotFound)
	_, err = s.Version(ctx(t), "nope", 1)
	isErr(t, "Version(nope, 1)", err, registry.ErrNotFound)
	_, err = s.UpdateVersion(ctx(t), "m", 9, setState(registry.Verified))
	isErr(t, "UpdateVersion(m, 9)", err, registry.ErrNotFound)
	_, err = s.Token(ctx(t), "tok-missing")
	isErr(t, "Token", err, registry.ErrNotFound)
	_, err = s.UpdateToken(ctx(t), "tok-missing", func(*registry.Token) (*registry.AuditEntry, error) {
		return entry("token.revoke"), nil
	})
	isErr(t, "UpdateToken", err, registry.ErrNotFound)
	list, next, err := s.Versions(ctx(t), "nope", registry.Page{})
	if err != nil || len(list) != 0 || next != "" {
		t.Fatalf("versions of a missing model: %d, %q, %v", len(list), next, err)
	}
	if n := verify(t, s); n != 1 {
		t.Fatalf("failed calls appended: %d entries", n)
	}
}

func testFailClosed(t *testing.T, open Opener) {
	s := open(t)
	if err := s.CreateVersion(ctx(t), newVersion("m", 1), nil); err == nil {
		t.Fatal("a version was pushed without an audit entry")
	}
	if err := s.CreateVersion(ctx(t), newVersion("m", 1), &registry.AuditEntry{Action: "version.push"}); err == nil {
		t.Fatal("an entry without an actor was accepted")
	}
	bad := newVersion("m", 1)
	bad.Evaluation = json.RawMessage(`{"open":`)
	if err := s.CreateVersion(ctx(t), bad, entry("version.push")); err == nil {
		t.Fatal("invalid evaluation JSON was accepted")
	}
	e := entry("note")
	e.Detail = json.RawMessage(`not json`)
	if err := s.Append(ctx(t), e); err == nil {
		t.Fatal("invalid detail JSON was accepted")
	}
	if err := s.CreateToken(ctx(t), &registry.Token{ID: "t", SecretHash: secret("x"), Role: "root"}, entry("token.create")); err == nil {
		t.Fatal("a token with an unknown role was accepted")
	}
	e = entry("note")
	e.Reason = "nul\x00byte"
	if err := s.Append(ctx(t), e); err == nil {
		t.Fatal("a NUL byte in an entry was accepted")
	}
	if err := s.CreateVersion(ctx(t), newVersion("bad\xff", 1), entry("version.push")); err == nil {
		t.Fatal("a model name that is not UTF-8 was accepted")
	}
	if err := s.AddCheckpoint(ctx(t), &registry.Checkpoint{Seq: 1}); err == nil {
		t.Fatal("an unsigned checkpoint was accepted")
	}
	if n := verify(t, s); n != 0 {
		t.Fatalf("refused calls appended %d entries", n)
	}
}
