package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Revoked signers are recorded only in the audit log (action
// "signer.revoke"), the registry's append-only source of truth: each
// service reads the entries it has not seen before every check, so a
// revocation made through any server instance applies to all of them.
type revocations struct {
	mu      sync.Mutex
	seen    int64             // last audit sequence read
	signers map[string]string // signer → why it was revoked
}

// signerRevocation is the detail of a "signer.revoke" entry.
type signerRevocation struct {
	Signer string `json:"signer"`
}

// revokedSigner returns why signer was revoked, or "".
func (s *Service) revokedSigner(ctx context.Context, signer string) (string, error) {
	r := &s.revoked
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		es, err := s.store.Audit(ctx, r.seen, MaxPageSize)
		if err != nil {
			return "", err
		}
		for _, e := range es {
			r.seen = e.Seq
			var d signerRevocation
			if e.Action != "signer.revoke" || json.Unmarshal(e.Detail, &d) != nil {
				continue
			}
			if r.signers == nil {
				r.signers = map[string]string{}
			}
			r.signers[d.Signer] = fmt.Sprintf("revoked when %s@%d was retired (audit entry %d)", e.Model, e.Version, e.Seq)
		}
		if len(es) < MaxPageSize {
			return r.signers[signer], nil
		}
	}
}

// revokeSigner records the revocation of v's signer.
func (s *Service) revokeSigner(ctx context.Context, a Actor, v *Version) error {
	detail, _ := json.Marshal(signerRevocation{Signer: v.Signer})
	e := &AuditEntry{Actor: a.ID, Action: "signer.revoke", Model: v.Model, Version: v.Number,
		Reason: "the signing identity of a retired version", Detail: detail}
	if err := s.store.Append(ctx, e); err != nil {
		return err
	}
	s.events.Publish(*e)
	return nil
}
