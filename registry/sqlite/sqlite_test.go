package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/storetest"
)

// dbFiles gives each test its own database file, the same one every time
// the same test opens, so the suite can close and reopen it.
var dbFiles sync.Map // test name → path

func dbPath(t *testing.T) string {
	if p, ok := dbFiles.Load(t.Name()); ok {
		return p.(string)
	}
	p := filepath.Join(t.TempDir(), "registry.db")
	dbFiles.Store(t.Name(), p)
	t.Cleanup(func() { dbFiles.Delete(t.Name()) }) // -count reruns reuse the name
	return p
}

// sqlDB names a pool in test failures.
type sqlDB struct {
	name string
	*sql.DB
}

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), dbPath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store { return openTest(t) })
}

func TestMigrationsIdempotent(t *testing.T) {
	for range 3 {
		s := openTest(t)
		var n, top int
		if err := s.reader.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
			t.Fatal(err)
		}
		if n != len(migrations) || top != len(migrations) {
			t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, top, len(migrations))
		}
		s.Close()
	}
	s := openTest(t)
	if _, err := s.writer.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(t.Context(), dbPath(t)); err == nil {
		t.Fatal("a database from a newer program was opened")
	}
}

func TestPragmas(t *testing.T) {
	s := openTest(t)
	for _, db := range []*sqlDB{{"writer", s.writer}, {"reader", s.reader}} {
		var mode string
		var sync, fk, busy int
		row := db.QueryRow(`SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout`)
		if err := row.Scan(&mode, &sync, &fk, &busy); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 || fk != 1 || busy != busyTimeoutMS {
			t.Fatalf("%s: journal %s, synchronous %d, foreign keys %d, busy timeout %d", db.name, mode, sync, fk, busy)
		}
	}
	if _, err := s.reader.Exec(`DELETE FROM audit`); err == nil {
		t.Fatal("the read pool can write")
	}
}

func TestOpenRefusesOddNames(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory", "a?b.db"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	s := openTest(t)
	if err := errors.Join(s.Close(), s.Close()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkVersionRead(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchVersionRead(b, s)
}
