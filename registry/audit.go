package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// ChainHash is the hash of an audit entry: SHA-256 over a domain label, the
// previous entry's hash and every field of the entry in a fixed binary
// layout (length-prefixed strings, big-endian integers, the time in UTC
// nanoseconds), so that no edit to any field, and no deletion, insertion
// or reordering of entries, keeps the chain valid.
func ChainHash(prev []byte, e *AuditEntry) []byte {
	h := sha256.New()
	var n [8]byte
	str := func(s []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write(s)
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	str([]byte("modelward audit v1"))
	str(prev)
	num(e.Seq)
	num(e.Time.UTC().UnixNano())
	for _, s := range []string{e.Actor, e.Action, e.Model, string(e.From), string(e.To), e.Reason} {
		str([]byte(s))
	}
	num(e.Version)
	str(e.Detail) // exactly the stored bytes: Seal wrote them canonical
	return h.Sum(nil)
}

// compactJSON gives one spelling of a detail (keys sorted, no space,
// duplicate keys collapsed). Seal stores it so; the chain then hashes the
// stored bytes exactly, so any later re-spelling (a duplicate key a reader
// might take instead, another escape) breaks the chain.
func compactJSON(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, err := json.Marshal(v) // map keys sorted
	if err != nil {
		return b
	}
	return out
}

// Seal fills e's chain fields after prev (the head's hash and sequence):
// Seq, Time (when zero; truncated to microseconds, which every store
// keeps), Prev and Hash. Stores call it inside the appending transaction.
func Seal(e *AuditEntry, prevSeq int64, prevHash []byte, now time.Time) {
	e.Detail = compactJSON(e.Detail)
	e.Seq = prevSeq + 1
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Prev = append([]byte(nil), prevHash...)
	e.Hash = ChainHash(e.Prev, e)
}

// ChainError says where an audit chain breaks.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks entries (in order, starting right after the entry
// with sequence prevSeq and hash prevHash) and returns the last sequence
// and hash. Any edit, deletion, insertion or reordering is a *ChainError.
func VerifyChain(prevSeq int64, prevHash []byte, entries []AuditEntry) (int64, []byte, error) {
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Seq != prevSeq+1:
			return prevSeq, prevHash, &ChainError{e.Seq, fmt.Sprintf("expected entry %d next (an entry was removed, inserted or moved)", prevSeq+1)}
		case !bytes.Equal(e.Prev, prevHash):
			return prevSeq, prevHash, &ChainError{e.Seq, "it does not follow the entry before it"}
		case !bytes.Equal(ChainHash(e.Prev, e), e.Hash):
			return prevSeq, prevHash, &ChainError{e.Seq, "its content was changed after it was written"}
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	return prevSeq, prevHash, nil
}
