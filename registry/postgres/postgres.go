// Package postgres is the registry.Store for deployments that outgrow one
// machine: several modelward servers may share one PostgreSQL database.
// Every write transaction first locks the audit log's head row, which
// serialises appends (gap-free sequence numbers, each entry chained to the
// one before) and makes version numbering and the one-deployed-version
// rule safe across servers; unique indexes back both up.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/modelward/modelward/registry"
)

// Store is a registry.Store kept in PostgreSQL.
type Store struct {
	pool      *pgxpool.Pool
	closeOnce sync.Once
}

var _ registry.Store = (*Store)(nil)

// Open connects to the database named by dsn (a libpq URL or key=value
// string; pool settings such as pool_max_conns are honoured) and brings
// its schema up to date. Tables live in the connection's search_path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included; do not wrap it.
		return nil, errors.New("open registry database: the connection string is not valid")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open registry database: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open registry database on %s: %w", cfg.ConnConfig.Host, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connection pool. It may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// head is the audit log's head as the current write transaction locked it.
type head struct {
	seq  int64
	hash []byte
}

// write runs fn in one transaction that holds the audit head's row lock,
// and commits unless fn fails. Under READ COMMITTED each statement after
// the lock sees everything committed before the lock was granted, so the
// transactions behave as if run one after another.
func (s *Store) write(ctx context.Context, fn func(pgx.Tx, *head) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin registry transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var h head
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&h.seq, &h.hash); err != nil {
		return fmt.Errorf("lock audit log head: %w", err)
	}
	if err := fn(tx, &h); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit registry transaction: %w", err)
	}
	return nil
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
