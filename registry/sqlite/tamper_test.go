package sqlite

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

// TestTamper edits the audit table behind the store's back, the way an
// attacker with write access to the file would, and checks VerifyChain
// names the first entry that no longer fits.
func TestTamper(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *Store)
		at     int64
	}{
		{"edit reason", sqlStep(`UPDATE audit SET reason = 'nothing to see' WHERE seq = 5`), 5},
		{"edit time", sqlStep(`UPDATE audit SET time = time + 1 WHERE seq = 3`), 3},
		{"edit detail", sqlStep(`UPDATE audit SET detail = CAST('{"findings":0}' AS BLOB) WHERE seq = 7`), 7},
		{"edit hash", sqlStep(`UPDATE audit SET hash = zeroblob(32) WHERE seq = 2`), 2},
		{"delete", sqlStep(`DELETE FROM audit WHERE seq = 5`), 6},
		{"delete first", sqlStep(`DELETE FROM audit WHERE seq = 1`), 2},
		{"insert with gap", forge(100), 100},
		{"insert in the middle", insertMiddle, 6},
		{"reorder", sqlStep(
			`UPDATE audit SET seq = 1000 WHERE seq = 4`,
			`UPDATE audit SET seq = 4 WHERE seq = 5`,
			`UPDATE audit SET seq = 5 WHERE seq = 1000`), 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for i := range 10 {
				e := &registry.AuditEntry{Actor: "local:test", Action: "note", Reason: fmt.Sprint(i), Detail: []byte(`{"findings":3}`)}
				if err := s.Append(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			tc.tamper(t, s)
			entries, err := s.Audit(t.Context(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = registry.VerifyChain(0, nil, entries)
			var ce *registry.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyChain after tampering: %v, want a *ChainError", err)
			}
			if ce.Seq != tc.at {
				t.Fatalf("VerifyChain blames entry %d (%v), want %d", ce.Seq, ce, tc.at)
			}
		})
	}
}

// sqlStep runs statements on the database directly.
func sqlStep(stmts ...string) func(*testing.T, *Store) {
	return func(t *testing.T, s *Store) {
		for _, q := range stmts {
			if _, err := s.writer.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// forge inserts a correctly sealed entry at seq, chained to the head.
func forge(seq int64) func(*testing.T, *Store) {
	return func(t *testing.T, s *Store) {
		_, headHash, err := s.Head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		insertSealed(t, s, seq-1, headHash)
	}
}

// insertMiddle moves entries 5.. up by one and forges a valid entry 5
// after entry 4: entry 5 verifies, and the old fifth, now sixth, breaks.
func insertMiddle(t *testing.T, s *Store) {
	sqlStep(`UPDATE audit SET seq = seq + 1000 WHERE seq >= 5`, `UPDATE audit SET seq = seq - 999 WHERE seq > 1000`)(t, s)
	var prev []byte
	if err := s.writer.QueryRow(`SELECT hash FROM audit WHERE seq = 4`).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	insertSealed(t, s, 4, prev)
}

func insertSealed(t *testing.T, s *Store, prevSeq int64, prevHash []byte) {
	e := registry.AuditEntry{Actor: "intruder", Action: "note"}
	registry.Seal(&e, prevSeq, prevHash, time.Now())
	_, err := s.writer.Exec(`INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, ?, ?, '', 0, '', '', '', NULL, ?, ?)`,
		e.Seq, e.Time.UnixMicro(), e.Actor, e.Action, e.Prev, e.Hash)
	if err != nil {
		t.Fatal(err)
	}
}
