// Package sqlite is the embedded registry.Store: one SQLite database file,
// written through a single connection and read through a pool, using the
// pure-Go driver modernc.org/sqlite.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/modelward/modelward/registry"
)

// Store is a registry.Store kept in one SQLite file.
type Store struct {
	// writer holds exactly one connection: SQLite admits one writer at a
	// time anyway, and queueing writers in Go (rather than letting them
	// spin on SQLITE_BUSY) keeps write latency predictable.
	writer *sql.DB
	// reader is a pool of read-only connections; in WAL mode readers never
	// block the writer or each other, so reads scale across cores.
	reader *sql.DB
	stmts  readStmts

	closeOnce sync.Once
	closeErr  error
}

var _ registry.Store = (*Store)(nil)

// busyTimeoutMS bounds how long a connection waits for a lock held by
// another process (another modelward binary on the same file) before it
// gives up with an error.
const busyTimeoutMS = 10000

// Open opens (creating when missing) the database file at path and brings
// its schema up to date. The file must be on a local disk: WAL mode needs
// shared memory between the processes using it.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	s := &Store{}
	var err error
	if s.writer, err = openDB(path, false, 1); err != nil {
		return nil, err
	}
	if s.reader, err = openDB(path, true, max(4, runtime.GOMAXPROCS(0))); err != nil {
		s.writer.Close()
		return nil, err
	}
	if err := s.setup(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open registry database %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) setup(ctx context.Context) error {
	if err := migrate(ctx, s.writer); err != nil {
		return err
	}
	return s.stmts.prepare(ctx, s.reader)
}

// checkPath refuses names the DSN syntax or the two-pool design cannot
// honour, rather than silently opening a different database.
func checkPath(path string) error {
	switch {
	case path == "":
		return errors.New("open registry database: no file name given")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return fmt.Errorf("open registry database: %q is not a plain file name (an in-memory or URI database cannot be shared by the read and write connections)", path)
	case strings.ContainsRune(path, '?'):
		return fmt.Errorf("open registry database: the file name %q contains '?', which the driver would take for options", path)
	}
	return nil
}

// openDB opens one pool on path. Every connection gets the same pragmas:
//   - WAL, so readers and the writer do not block each other;
//   - synchronous=FULL: WAL's default (NORMAL) may lose the last commits on
//     power loss, and a registry must never acknowledge a transition or an
//     audit entry it can lose; an fsync per commit is cheap next to that;
//   - foreign keys on, and a busy timeout for other processes' locks;
//   - BEGIN IMMEDIATE for the writer, so a write transaction takes the
//     write lock up front instead of failing to upgrade a read lock later.
func openDB(path string, readOnly bool, conns int) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("_query_only", "1")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open registry database %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// Close closes both pools. It may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		var errs []error
		if s.reader != nil {
			errs = append(errs, s.reader.Close())
		}
		if s.writer != nil {
			errs = append(errs, s.writer.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close registry database: %w", err)
		}
	})
	return s.closeErr
}

// write runs fn in one write transaction (BEGIN IMMEDIATE) and commits
// unless fn fails.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin registry transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit registry transaction: %w", err)
	}
	return nil
}

// isConstraint reports whether err is a uniqueness violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return true
	}
	return false
}
