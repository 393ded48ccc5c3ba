package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// readStmts are the hot read queries, prepared once on the read pool so a
// read is one round through SQLite's VM and no SQL parsing.
type readStmts struct {
	version  *sql.Stmt
	versions *sql.Stmt
	models   *sql.Stmt
	token    *sql.Stmt
	tokens   *sql.Stmt
	audit    *sql.Stmt
	head     *sql.Stmt
}

const (
	headQuery    = `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`
	auditColumns = `seq, time, actor, action, model, version, from_state, to_state, reason, detail, prev, hash`
	tokenColumns = `id, secret_hash, name, role, models, created_by, created_at, expires_at, revoked_at, bound_version`
)

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, q := range []struct {
		dst *(*sql.Stmt)
		sql string
	}{
		{&r.version, `SELECT ` + versionColumns + ` FROM versions WHERE model = ? AND number = ?`},
		{&r.versions, `SELECT ` + versionColumns + ` FROM versions WHERE model = ? AND number < ? ORDER BY number DESC LIMIT ?`},
		{&r.models, `SELECT model, COUNT(*), COALESCE(MAX(CASE WHEN state = 'deployed' THEN number END), 0), MAX(updated_at)
			FROM versions WHERE model > ? GROUP BY model ORDER BY model LIMIT ?`},
		{&r.token, `SELECT ` + tokenColumns + ` FROM tokens WHERE id = ?`},
		{&r.tokens, `SELECT ` + tokenColumns + ` FROM tokens WHERE id > ? ORDER BY id LIMIT ?`},
		{&r.audit, `SELECT ` + auditColumns + ` FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`},
		{&r.head, headQuery},
	} {
		st, err := db.PrepareContext(ctx, q.sql)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q.sql, err)
		}
		*q.dst = st
	}
	return nil
}

func (r *readStmts) close() {
	for _, st := range []*sql.Stmt{r.version, r.versions, r.models, r.token, r.tokens, r.audit, r.head} {
		if st != nil {
			st.Close()
		}
	}
}
