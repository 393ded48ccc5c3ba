package registry

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/modelward/modelward/sign/bundle"
)

// checkpointMessage is what a checkpoint signs: a domain label, the head's
// sequence and hash, and the time, so a signature cannot be replayed for
// another position of the log or another purpose.
func checkpointMessage(c *Checkpoint) []byte {
	return []byte("modelward audit checkpoint v1\n" + strconv.FormatInt(c.Seq, 10) + "\n" +
		hex.EncodeToString(c.Hash) + "\n" + c.Time.UTC().Format(time.RFC3339Nano) + "\n")
}

// Checkpoint signs the audit log's current head with the server's key and
// stores the checkpoint. Run it periodically: a checkpoint kept elsewhere
// (or published) lets anyone detect a log that was truncated or rewritten
// after it, even by someone able to recompute the whole chain.
func (s *Service) Checkpoint(ctx context.Context, key *bundle.Signer) (*Checkpoint, error) {
	seq, hash, err := s.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Seq: seq, Hash: hash, Time: s.now().UTC().Truncate(time.Microsecond), KeyID: key.Public().Hint()}
	if c.Signature, err = key.SignMessage(checkpointMessage(c)); err != nil {
		return nil, err
	}
	if err := s.store.AddCheckpoint(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	Entries     int64 `json:"entries"`
	Checkpoints int   `json:"checkpoints"`
	// HeadSeq and Head are the last entry's sequence and hash.
	HeadSeq int64  `json:"head_seq"`
	Head    []byte `json:"head"`
}

// VerifyAudit reads the whole audit log and checks the chain (any edit,
// deletion, insertion or reordering fails with a *ChainError) and every
// checkpoint: signed by one of keys, over an entry that is still in the log
// with the same hash.
func VerifyAudit(ctx context.Context, st Store, keys []*bundle.Verifier) (*AuditReport, error) {
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	at := map[int64][]byte{} // checkpointed sequence → hash found in the log
	for _, c := range cps {
		at[c.Seq] = nil
	}
	r := &AuditReport{}
	for {
		es, err := st.Audit(ctx, r.HeadSeq, MaxPageSize)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}
		if r.HeadSeq, r.Head, err = VerifyChain(r.HeadSeq, r.Head, es); err != nil {
			return r, err
		}
		for _, e := range es {
			if _, ok := at[e.Seq]; ok {
				at[e.Seq] = e.Hash
			}
		}
		r.Entries += int64(len(es))
	}
	for i := range cps {
		if err := checkCheckpoint(&cps[i], at[cps[i].Seq], keys); err != nil {
			return r, err
		}
		r.Checkpoints++
	}
	return r, nil
}

func checkCheckpoint(c *Checkpoint, logged []byte, keys []*bundle.Verifier) error {
	signed := false
	for _, k := range keys {
		if k.VerifyMessage(checkpointMessage(c), c.Signature) {
			signed = true
			break
		}
	}
	switch {
	case !signed:
		return &ChainError{c.Seq, "its checkpoint signature does not verify with the server's key"}
	case c.Seq > 0 && logged == nil:
		return &ChainError{c.Seq, "a signed checkpoint names this entry but the log no longer has it (truncated)"}
	case !bytes.Equal(logged, c.Hash):
		return &ChainError{c.Seq, fmt.Sprintf("the log's hash differs from the signed checkpoint's (%x)", c.Hash[:min(8, len(c.Hash))])}
	}
	return nil
}
