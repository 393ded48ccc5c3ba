package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/internal/storekit"
)

// appendEntry seals a copy of e after the current head and inserts it.
// The caller holds the write transaction, which is what serialises
// appends: SQLite has one writer, and BEGIN IMMEDIATE takes its lock first.
func appendEntry(ctx context.Context, tx *sql.Tx, e *registry.AuditEntry) (registry.AuditEntry, error) {
	var prevSeq int64
	var prevHash []byte
	err := tx.QueryRowContext(ctx, headQuery).Scan(&prevSeq, &prevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return registry.AuditEntry{}, fmt.Errorf("read audit log head: %w", err)
	}
	se := storekit.Sealed(e, prevSeq, prevHash)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		se.Seq, se.Time.UnixMicro(), se.Actor, se.Action, se.Model, se.Version, string(se.From), string(se.To),
		se.Reason, []byte(se.Detail), append([]byte{}, se.Prev...), se.Hash)
	if err != nil {
		return registry.AuditEntry{}, fmt.Errorf("append audit entry %d (%s): %w", se.Seq, se.Action, err)
	}
	return se, nil
}

// Append implements registry.Store.
func (s *Store) Append(ctx context.Context, e *registry.AuditEntry) error {
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	var se registry.AuditEntry
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		se, err = appendEntry(ctx, tx, e)
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
	rows, err := s.stmts.audit.QueryContext(ctx, after, storekit.Limit(n))
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out, err := collect(rows, func(r scanner) (registry.AuditEntry, error) {
		var e registry.AuditEntry
		var t int64
		var detail []byte
		err := r.Scan(&e.Seq, &t, &e.Actor, &e.Action, &e.Model, &e.Version, &e.From, &e.To,
			&e.Reason, &detail, &e.Prev, &e.Hash)
		e.Time = fromMicros(t)
		if len(detail) > 0 {
			e.Detail = detail
		}
		if len(e.Prev) == 0 {
			e.Prev = nil // the first entry's
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// Head implements registry.Store.
func (s *Store) Head(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := s.stmts.head.QueryRowContext(ctx).Scan(&seq, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)`,
			cc.Seq, cc.Hash, cc.Time.UnixMicro(), cc.KeyID, cc.Signature)
		if err != nil {
			return fmt.Errorf("add checkpoint at entry %d: %w", cc.Seq, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*c = cc
	return nil
}

// Checkpoints implements registry.Store.
func (s *Store) Checkpoints(ctx context.Context) ([]registry.Checkpoint, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT seq, hash, time, key_id, signature FROM checkpoints ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	out, err := collect(rows, func(r scanner) (registry.Checkpoint, error) {
		var c registry.Checkpoint
		var t int64
		err := r.Scan(&c.Seq, &c.Hash, &t, &c.KeyID, &c.Signature)
		c.Time = fromMicros(t)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}
