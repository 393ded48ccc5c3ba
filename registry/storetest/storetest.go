// Package storetest is the one test suite every registry.Store passes:
// registry/sqlite and registry/postgres run it against real databases.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

// Opener returns a store on t's own database and closes it when t ends.
// Calling it again with the same t must reopen the same database (the
// suite closes the first store before), so that reopening can be tested.
type Opener func(t *testing.T) registry.Store

// Run runs the whole suite, each test on its own database.
func Run(t *testing.T, open func(t *testing.T) registry.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"VersionsCreateReadList", testVersions},
		{"ModelsList", testModels},
		{"UpdateVersion", testUpdateVersion},
		{"UpdateVersionFailureWritesNothing", testUpdateFailure},
		{"DeployedUniqueness", testDeployRule},
		{"DeployRace", testDeployRace},
		{"Tokens", testTokens},
		{"AuditChain", testAudit},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Checkpoints", testCheckpoints},
		{"DetailJSONRoundTrip", testDetailJSON},
		{"LargeVersion", testLargeVersion},
		{"NotFound", testNotFound},
		{"FailClosed", testFailClosed},
		{"Reopen", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// ctx bounds every test: a deadlock fails instead of hanging the run.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// entry is a minimal valid audit entry.
func entry(action string) *registry.AuditEntry {
	return &registry.AuditEntry{Actor: "local:test", Action: action}
}

// newVersion is a version ready to push.
func newVersion(model string, i int) *registry.Version {
	return &registry.Version{
		Model:     model,
		Digest:    fmt.Sprintf("sha256:%064x", i),
		Files:     []registry.File{{Path: ".", Digest: fmt.Sprintf("%064x", i), Size: int64(i)}},
		Publisher: "alice",
	}
}

func mustCreate(t *testing.T, s registry.Store, model string, i int) *registry.Version {
	t.Helper()
	v := newVersion(model, i)
	if err := s.CreateVersion(ctx(t), v, entry("version.push")); err != nil {
		t.Fatalf("CreateVersion(%s): %v", model, err)
	}
	return v
}

// setState returns an update that moves a version to state.
func setState(state registry.State) func(*registry.Version) (*registry.AuditEntry, error) {
	return func(v *registry.Version) (*registry.AuditEntry, error) {
		e := entry("version.transition")
		e.From, e.To = v.State, state
		v.State = state
		return e, nil
	}
}

// auditAll reads the whole log, page by page.
func auditAll(t *testing.T, s registry.Store) []registry.AuditEntry {
	t.Helper()
	var all []registry.AuditEntry
	for {
		page, err := s.Audit(ctx(t), int64(len(all)), 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// verify checks the whole log and that Head agrees with its end; it
// returns the number of entries.
func verify(t *testing.T, s registry.Store) int {
	t.Helper()
	all := auditAll(t, s)
	seq, hash, err := registry.VerifyChain(0, nil, all)
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	hseq, hhash, err := s.Head(ctx(t))
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if hseq != seq || string(hhash) != string(hash) {
		t.Fatalf("Head = %d %x, log ends at %d %x", hseq, hhash, seq, hash)
	}
	return len(all)
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func secret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func isErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}
