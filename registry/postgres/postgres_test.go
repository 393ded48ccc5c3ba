package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/storetest"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func baseDSN() string {
	if dsn := os.Getenv("MODELWARD_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultDSN
}

// unreachable skips the test, or fails it when CI requires PostgreSQL.
func unreachable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("MODELWARD_REQUIRE_POSTGRES") == "1" {
		tb.Fatalf("PostgreSQL is required (MODELWARD_REQUIRE_POSTGRES=1) but unreachable: %v", err)
	}
	tb.Skipf("PostgreSQL unreachable (set MODELWARD_TEST_POSTGRES to a server): %v", err)
}

// schemas gives each test its own schema, the same one every time the
// same test opens, so the suite can close and reopen it.
var schemas sync.Map // test name → DSN

// testDSN returns a DSN whose search_path is a fresh schema, dropped when
// the test ends, so parallel runs on one database never collide.
func testDSN(tb testing.TB) string {
	if dsn, ok := schemas.Load(tb.Name()); ok {
		return dsn.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		unreachable(tb, err)
	}
	defer conn.Close(context.Background())
	schema := "mw_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		schemas.Delete(tb.Name()) // -count and benchmark reruns reuse the name
		dropSchema(tb, schema)
	})
	dsn := withSearchPath(tb, baseDSN(), schema)
	schemas.Store(tb.Name(), dsn)
	return dsn
}

func dropSchema(tb testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

func withSearchPath(tb testing.TB, dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("MODELWARD_TEST_POSTGRES is not a valid URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func openTest(tb testing.TB) *Store {
	tb.Helper()
	dsn := testDSN(tb)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store { return openTest(t) })
}

func TestMigrationsIdempotent(t *testing.T) {
	for range 3 {
		s := openTest(t)
		var n, top int
		if err := s.pool.QueryRow(t.Context(), `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
			t.Fatal(err)
		}
		if n != len(migrations) || top != len(migrations) {
			t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, top, len(migrations))
		}
		s.Close()
	}
	s := openTest(t)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), testDSN(t)); err == nil {
		s.Close()
		t.Fatal("a schema from a newer program was opened")
	}
}

// TestSharedDatabase runs several stores (as several servers would) on
// one schema at once, opening them concurrently too: the log must stay
// one gap-free chain and every version be numbered 1..n.
func TestSharedDatabase(t *testing.T) {
	dsn := testDSN(t)
	const servers, each = 4, 40
	stores := make([]*Store, servers)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				v := &registry.Version{Model: fmt.Sprintf("shared%d", j%3), Digest: "sha256:00"}
				if err := s.CreateVersion(t.Context(), v, &registry.AuditEntry{Actor: fmt.Sprintf("server%d", i), Action: "version.push"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	entries, err := stores[0].Audit(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := registry.VerifyChain(0, nil, entries); err != nil || len(entries) != servers*each {
		t.Fatalf("%d entries, want %d; chain: %v", len(entries), servers*each, err)
	}
	for m := range 3 {
		list, _, err := stores[1].Versions(t.Context(), fmt.Sprintf("shared%d", m), registry.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range list {
			if v.Number != int64(len(list)-i) {
				t.Fatalf("shared%d: position %d holds version %d", m, i, v.Number)
			}
		}
	}
}

// TestDetailColumnIsNotJSONB documents why detail is bytea: jsonb would
// rewrite a number ChainHash hashes as written, breaking the chain.
func TestDetailColumnIsNotJSONB(t *testing.T) {
	s := openTest(t)
	var rewritten string
	if err := s.pool.QueryRow(t.Context(), `SELECT '{"b":1, "a":1e400}'::jsonb::text`).Scan(&rewritten); err != nil {
		t.Fatal(err)
	}
	e := registry.AuditEntry{Actor: "a", Action: "b", Detail: []byte(`{"b":1, "a":1e400}`)}
	r := e
	r.Detail = []byte(rewritten)
	if string(registry.ChainHash(nil, &e)) == string(registry.ChainHash(nil, &r)) {
		t.Skip("ChainHash now survives jsonb's rewriting; bytea is no longer needed")
	}
	var typ string
	if err := s.pool.QueryRow(t.Context(), `SELECT data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'audit' AND column_name = 'detail'`).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "bytea" {
		t.Fatalf("audit.detail is %s", typ)
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := Open(t.Context(), "postgres://user:hunter2@[::1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad DSN: %v", err)
	}
}

func BenchmarkVersionRead(b *testing.B) {
	s := openTest(b)
	storetest.BenchVersionRead(b, s)
}
