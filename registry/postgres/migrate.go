package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations is the schema's history: migration i+1 is migrations[i].
// Append only; never edit one that has shipped.
//
// Times are timestamptz (microseconds, as registry.Seal keeps them); NULL
// is the zero time. The file list and token scopes are jsonb (the store
// decodes them, so key order does not matter). The evaluation and the
// audit detail are bytea, kept byte for byte: jsonb would rewrite them
// (key order, number spelling; it even refuses \u0000), and although
// ChainHash compacts JSON, it cannot undo every rewrite (a number such as
// 1e400, which Go cannot decode, is hashed as written).
var migrations = []string{
	`CREATE TABLE versions (
		model       text        NOT NULL,
		number      bigint      NOT NULL CHECK (number > 0),
		state       text        NOT NULL,
		digest      text        NOT NULL,
		files       jsonb       NOT NULL,
		signature   text        NOT NULL,
		bom         text        NOT NULL,
		scan_report text        NOT NULL,
		signer      text        NOT NULL,
		findings    bigint      NOT NULL,
		verdict     text        NOT NULL,
		evaluation  bytea,
		publisher   text        NOT NULL,
		approver    text        NOT NULL,
		reason      text        NOT NULL,
		archive_key text        NOT NULL,
		created_at  timestamptz NOT NULL,
		updated_at  timestamptz NOT NULL,
		revision    bigint      NOT NULL,
		PRIMARY KEY (model, number)
	);
	-- At most one deployed version per model, whatever the code above does.
	CREATE UNIQUE INDEX versions_one_deployed ON versions (model) WHERE state = 'deployed';
	CREATE TABLE tokens (
		id            text        NOT NULL PRIMARY KEY,
		secret_hash   bytea       NOT NULL,
		name          text        NOT NULL,
		role          text        NOT NULL,
		models        jsonb       NOT NULL,
		created_by    text        NOT NULL,
		created_at    timestamptz NOT NULL,
		expires_at    timestamptz,
		revoked_at    timestamptz,
		bound_version text        NOT NULL
	);
	CREATE TABLE audit (
		seq        bigint      NOT NULL PRIMARY KEY CHECK (seq > 0),
		time       timestamptz NOT NULL,
		actor      text        NOT NULL,
		action     text        NOT NULL,
		model      text        NOT NULL,
		version    bigint      NOT NULL,
		from_state text        NOT NULL,
		to_state   text        NOT NULL,
		reason     text        NOT NULL,
		detail     bytea,
		prev       bytea       NOT NULL,
		hash       bytea       NOT NULL
	);
	-- The head row: every write transaction locks it first (FOR UPDATE).
	CREATE TABLE audit_head (
		id   integer NOT NULL PRIMARY KEY CHECK (id = 1),
		seq  bigint  NOT NULL,
		hash bytea   NOT NULL
	);
	INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
	CREATE TABLE checkpoints (
		id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		seq       bigint      NOT NULL,
		hash      bytea       NOT NULL,
		time      timestamptz NOT NULL,
		key_id    text        NOT NULL,
		signature bytea       NOT NULL
	);`,
}

// migrate applies the migrations the schema lacks in one transaction. An
// advisory lock scoped to the schema keeps servers starting together from
// racing; a schema newer than this program is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin schema migration: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('modelward migrate ' || current_schema()))`); err != nil {
		return fmt.Errorf("lock schema for migration: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("the database schema is version %d, newer than this program knows (%d): upgrade modelward", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("apply schema migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("record schema migration %d: %w", v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit schema migration: %w", err)
	}
	return nil
}
