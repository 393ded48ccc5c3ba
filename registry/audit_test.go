package registry

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func chain(n int) []AuditEntry {
	var out []AuditEntry
	var seq int64
	var prev []byte
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := range n {
		e := AuditEntry{Actor: "tok_1", Action: "version.transition", Model: "m", Version: int64(i + 1),
			From: Registered, To: Verified, Reason: "scan clean", Detail: json.RawMessage(`{"b":1,"a":"é"}`)}
		Seal(&e, seq, prev, t0.Add(time.Duration(i)*time.Second))
		seq, prev = e.Seq, e.Hash
		out = append(out, e)
	}
	return out
}

func TestVerifyChainDetectsEveryTamper(t *testing.T) {
	good := chain(5)
	if seq, _, err := VerifyChain(0, nil, good); err != nil || seq != 5 {
		t.Fatalf("good chain: %d %v", seq, err)
	}
	// Seal stores the detail in one spelling; any other spelling of the
	// same JSON, or a duplicate key a reader could take instead, is an edit.
	if string(good[2].Detail) != `{"a":"é","b":1}` {
		t.Fatalf("sealed detail %s", good[2].Detail)
	}
	edits := map[string]func([]AuditEntry) []AuditEntry{
		"edited reason":     func(c []AuditEntry) []AuditEntry { c[2].Reason = "forged"; return c },
		"edited actor":      func(c []AuditEntry) []AuditEntry { c[1].Actor = "admin"; return c },
		"edited time":       func(c []AuditEntry) []AuditEntry { c[3].Time = c[3].Time.Add(time.Second); return c },
		"edited detail":     func(c []AuditEntry) []AuditEntry { c[4].Detail = json.RawMessage(`{"a":"x","b":1}`); return c },
		"re-spelled detail": func(c []AuditEntry) []AuditEntry { c[1].Detail = json.RawMessage(`{ "a" : "é", "b" : 1 }`); return c },
		"duplicate key": func(c []AuditEntry) []AuditEntry {
			c[3].Detail = json.RawMessage(`{"a":"x","a":"é","b":1}`)
			return c
		},
		"deleted":   func(c []AuditEntry) []AuditEntry { return append(c[:2], c[3:]...) },
		"reordered": func(c []AuditEntry) []AuditEntry { c[1], c[2] = c[2], c[1]; return c },
		"inserted": func(c []AuditEntry) []AuditEntry {
			x := c[1]
			x.Reason = "inserted"
			return append(c[:2], append([]AuditEntry{x}, c[2:]...)...)
		},
		"resealed middle": func(c []AuditEntry) []AuditEntry {
			c[2].Reason = "forged"
			c[2].Hash = ChainHash(c[2].Prev, &c[2]) // a forger recomputes one hash...
			return c                                // ...but the next entry still points at the old one
		},
	}
	for name, edit := range edits {
		c := edit(append([]AuditEntry(nil), chain(5)...))
		_, _, err := VerifyChain(0, nil, c)
		var ce *ChainError
		if !errors.As(err, &ce) {
			t.Errorf("%s: not detected (%v)", name, err)
		}
	}
}
