package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema's history: migration i+1 is migrations[i].
// Append only; never edit one that has shipped.
//
// Times are INTEGER microseconds since the Unix epoch, UTC (the precision
// registry.Seal keeps). JSON the store interprets (files, token scopes) is
// TEXT; JSON the store only carries (evaluation, audit detail) is a BLOB
// kept byte for byte, so what was hashed is exactly what is read back.
var migrations = []string{
	`CREATE TABLE versions (
		model       TEXT    NOT NULL,
		number      INTEGER NOT NULL CHECK (number > 0),
		state       TEXT    NOT NULL,
		digest      TEXT    NOT NULL,
		files       TEXT    NOT NULL,
		signature   TEXT    NOT NULL,
		bom         TEXT    NOT NULL,
		scan_report TEXT    NOT NULL,
		signer      TEXT    NOT NULL,
		findings    INTEGER NOT NULL,
		verdict     TEXT    NOT NULL,
		evaluation  BLOB,
		publisher   TEXT    NOT NULL,
		approver    TEXT    NOT NULL,
		reason      TEXT    NOT NULL,
		archive_key TEXT    NOT NULL,
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		revision    INTEGER NOT NULL,
		PRIMARY KEY (model, number)
	) WITHOUT ROWID;
	-- At most one deployed version per model, whatever the code above does.
	CREATE UNIQUE INDEX versions_one_deployed ON versions (model) WHERE state = 'deployed';
	CREATE TABLE tokens (
		id            TEXT    NOT NULL PRIMARY KEY,
		secret_hash   BLOB    NOT NULL,
		name          TEXT    NOT NULL,
		role          TEXT    NOT NULL,
		models        TEXT    NOT NULL,
		created_by    TEXT    NOT NULL,
		created_at    INTEGER NOT NULL,
		expires_at    INTEGER NOT NULL,
		revoked_at    INTEGER NOT NULL,
		bound_version TEXT    NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE audit (
		seq        INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
		time       INTEGER NOT NULL,
		actor      TEXT    NOT NULL,
		action     TEXT    NOT NULL,
		model      TEXT    NOT NULL,
		version    INTEGER NOT NULL,
		from_state TEXT    NOT NULL,
		to_state   TEXT    NOT NULL,
		reason     TEXT    NOT NULL,
		detail     BLOB,
		prev       BLOB    NOT NULL,
		hash       BLOB    NOT NULL
	);
	CREATE TABLE checkpoints (
		id        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
		seq       INTEGER NOT NULL,
		hash      BLOB    NOT NULL,
		time      INTEGER NOT NULL,
		key_id    TEXT    NOT NULL,
		signature BLOB    NOT NULL
	);`,
}

// migrate applies the migrations the database lacks, all in one write
// transaction, so a crash leaves either the old schema or the new one.
// A database newer than this program is refused: its meaning is unknown.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin schema migration: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("the database schema is version %d, newer than this program knows (%d): upgrade modelward", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("apply schema migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			v, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("record schema migration %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema migration: %w", err)
	}
	return nil
}
