package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/internal/storekit"
)

const auditColumns = `seq, time, actor, action, model, version, from_state, to_state, reason, detail, prev, hash`

// appendEntry seals a copy of e after h, inserts it and moves the head.
// The caller's transaction holds the head row lock (see write).
func appendEntry(ctx context.Context, tx pgx.Tx, h *head, e *registry.AuditEntry) (registry.AuditEntry, error) {
	se := storekit.Sealed(e, h.seq, h.hash)
	_, err := tx.Exec(ctx, `INSERT INTO audit (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		se.Seq, se.Time, se.Actor, se.Action, se.Model, se.Version, string(se.From), string(se.To),
		se.Reason, []byte(se.Detail), append([]byte{}, se.Prev...), se.Hash)
	if err != nil {
		return registry.AuditEntry{}, fmt.Errorf("append audit entry %d (%s): %w", se.Seq, se.Action, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, se.Seq, se.Hash); err != nil {
		return registry.AuditEntry{}, fmt.Errorf("move audit log head to entry %d: %w", se.Seq, err)
	}
	h.seq, h.hash = se.Seq, se.Hash
	return se, nil
}

// Append implements registry.Store.
func (s *Store) Append(ctx context.Context, e *registry.AuditEntry) error {
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	var se registry.AuditEntry
	err := s.write(ctx, func(tx pgx.Tx, h *head) error {
		var err error
		se, err = appendEntry(ctx, tx, h, e)
		return err
	})
	if err != nil {
		return err
	}
	*e = se
	return nil
}

// Audit implements registry.Store. limit is capped at registry.MaxPageSize.
func (s *Store) Audit(ctx context.Context, after int64, n int) ([]registry.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`, after, storekit.Limit(n))
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out, err := collect(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

func scanEntry(r pgx.Row) (registry.AuditEntry, error) {
	var e registry.AuditEntry
	var detail []byte
	err := r.Scan(&e.Seq, &e.Time, &e.Actor, &e.Action, &e.Model, &e.Version, &e.From, &e.To,
		&e.Reason, &detail, &e.Prev, &e.Hash)
	e.Time = e.Time.UTC()
	if len(detail) > 0 {
		e.Detail = detail
	}
	if len(e.Prev) == 0 {
		e.Prev = nil // the first entry's
	}
	return e, err
}

// Head implements registry.Store.
func (s *Store) Head(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil, nil
	case err != nil:
		return 0, nil, fmt.Errorf("read audit log head: %w", err)
	}
	return seq, hash, nil
}

// AddCheckpoint implements registry.Store. A zero Time is set to now.
func (s *Store) AddCheckpoint(ctx context.Context, c *registry.Checkpoint) error {
	cc, err := storekit.PrepareCheckpoint(c)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO checkpoints (seq, hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5)`,
		cc.Seq, cc.Hash, cc.Time, cc.KeyID, cc.Signature)
	if err != nil {
		return fmt.Errorf("add checkpoint at entry %d: %w", cc.Seq, err)
	}
	*c = cc
	return nil
}

// Checkpoints implements registry.Store.
func (s *Store) Checkpoints(ctx context.Context) ([]registry.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, hash, time, key_id, signature FROM checkpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	out, err := collect(rows, func(r pgx.Row) (registry.Checkpoint, error) {
		var c registry.Checkpoint
		err := r.Scan(&c.Seq, &c.Hash, &c.Time, &c.KeyID, &c.Signature)
		c.Time = c.Time.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}
