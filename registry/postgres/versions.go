package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/internal/storekit"
)

const versionColumns = `model, number, state, digest, files, signature, bom, scan_report, signer,
	findings, verdict, evaluation, publisher, approver, reason, archive_key, created_at, updated_at, revision`

func scanVersion(r pgx.Row) (*registry.Version, error) {
	var v registry.Version
	var files, eval []byte
	err := r.Scan(&v.Model, &v.Number, &v.State, &v.Digest, &files, &v.Signature, &v.BOM, &v.ScanReport, &v.Signer,
		&v.Findings, &v.Verdict, &eval, &v.Publisher, &v.Approver, &v.Reason, &v.ArchiveKey, &v.CreatedAt, &v.UpdatedAt, &v.Revision)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(files, &v.Files); err != nil {
		return nil, fmt.Errorf("version %s@%d: stored file list is corrupt: %w", v.Model, v.Number, err)
	}
	if len(eval) > 0 {
		v.Evaluation = eval
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v, nil
}

// versionArgs are v's columns in versionColumns order.
func versionArgs(v *registry.Version) ([]any, error) {
	files, err := json.Marshal(v.Files)
	if err != nil {
		return nil, fmt.Errorf("encode file list of %s@%d: %w", v.Model, v.Number, err)
	}
	var eval []byte
	if len(v.Evaluation) > 0 {
		eval = v.Evaluation
	}
	return []any{v.Model, v.Number, string(v.State), v.Digest, string(files), v.Signature, v.BOM, v.ScanReport, v.Signer,
		v.Findings, v.Verdict, eval, v.Publisher, v.Approver, v.Reason, v.ArchiveKey,
		v.CreatedAt, v.UpdatedAt, v.Revision}, nil
}

const versionParams = `$1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19`

// CreateVersion implements registry.Store.
func (s *Store) CreateVersion(ctx context.Context, v *registry.Version, e *registry.AuditEntry) error {
	if v != nil {
		v.State = registry.Registered
	}
	if err := storekit.CheckVersion(v); err != nil {
		return err
	}
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	nv := *v
	var se registry.AuditEntry
	err := s.write(ctx, func(tx pgx.Tx, h *head) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE model = $1`,
			v.Model).Scan(&nv.Number); err != nil {
			return fmt.Errorf("number new version of %s: %w", v.Model, err)
		}
		nv.CreatedAt = storekit.Now()
		nv.UpdatedAt, nv.Revision = nv.CreatedAt, 1
		if err := insertVersion(ctx, tx, &nv); err != nil {
			return err
		}
		ec := *e
		ec.Model, ec.Version = nv.Model, nv.Number
		var err error
		se, err = appendEntry(ctx, tx, h, &ec)
		return err
	})
	if err != nil {
		return err
	}
	*v, *e = nv, se
	return nil
}

func insertVersion(ctx context.Context, tx pgx.Tx, v *registry.Version) error {
	args, err := versionArgs(v)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO versions (`+versionColumns+`) VALUES (`+versionParams+`)`, args...)
	if isUnique(err) {
		return fmt.Errorf("%w: version %s@%d exists already", registry.ErrConflict, v.Model, v.Number)
	}
	if err != nil {
		return fmt.Errorf("insert version %s@%d: %w", v.Model, v.Number, err)
	}
	return nil
}

// Version implements registry.Store.
func (s *Store) Version(ctx context.Context, model string, number int64) (*registry.Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns+` FROM versions WHERE model = $1 AND number = $2`, model, number))
	return v, versionErr(err, model, number)
}

func versionErr(err error, model string, number int64) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("version %s@%d: %w", model, number, registry.ErrNotFound)
	}
	return fmt.Errorf("read version %s@%d: %w", model, number, err)
}

// Versions implements registry.Store.
func (s *Store) Versions(ctx context.Context, model string, p registry.Page) ([]*registry.Version, string, error) {
	before, err := storekit.Before(p.After)
	if err != nil {
		return nil, "", err
	}
	n := storekit.Limit(p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+versionColumns+` FROM versions WHERE model = $1 AND number < $2
		ORDER BY number DESC LIMIT $3`, model, before, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list versions of %s: %w", model, err)
	}
	out, err := collect(rows, scanVersion)
	if err != nil {
		return nil, "", fmt.Errorf("list versions of %s: %w", model, err)
	}
	out, next := storekit.Trim(out, n, "version", func(v *registry.Version) string { return strconv.FormatInt(v.Number, 10) })
	return out, next, nil
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Models implements registry.Store.
func (s *Store) Models(ctx context.Context, p registry.Page) ([]registry.ModelSummary, string, error) {
	after := ""
	if p.After != "" {
		var err error
		if after, err = storekit.DecodeCursor("model", p.After); err != nil {
			return nil, "", err
		}
	}
	n := storekit.Limit(p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT model, COUNT(*), COALESCE(MAX(number) FILTER (WHERE state = 'deployed'), 0), MAX(updated_at)
		FROM versions WHERE model > $1 GROUP BY model ORDER BY model LIMIT $2`, after, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list models: %w", err)
	}
	out, err := collect(rows, func(r pgx.Row) (registry.ModelSummary, error) {
		var m registry.ModelSummary
		err := r.Scan(&m.Model, &m.Versions, &m.Deployed, &m.UpdatedAt)
		m.UpdatedAt = m.UpdatedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list models: %w", err)
	}
	out, next := storekit.Trim(out, n, "model", func(m registry.ModelSummary) string { return m.Model })
	return out, next, nil
}

// UpdateVersion implements registry.Store.
func (s *Store) UpdateVersion(ctx context.Context, model string, number int64, fn func(*registry.Version) (*registry.AuditEntry, error)) (*registry.Version, error) {
	var out *registry.Version
	var se registry.AuditEntry
	var e *registry.AuditEntry
	err := s.write(ctx, func(tx pgx.Tx, h *head) error {
		old, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM versions WHERE model = $1 AND number = $2`, model, number))
		if err != nil {
			return versionErr(err, model, number)
		}
		v := *old
		v.Files = append([]registry.File(nil), old.Files...)
		if e, err = fn(&v); err != nil {
			return err
		}
		if err := writeVersion(ctx, tx, old, &v, e); err != nil {
			return err
		}
		ec := *e
		ec.Model, ec.Version = model, number
		se, err = appendEntry(ctx, tx, h, &ec)
		out = &v
		return err
	})
	if err != nil {
		return nil, err
	}
	*e = se
	return out, nil
}

// writeVersion checks fn's result and writes it over old.
func writeVersion(ctx context.Context, tx pgx.Tx, old, v *registry.Version, e *registry.AuditEntry) error {
	if err := storekit.CheckUpdate(old, v); err != nil {
		return err
	}
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	if v.State == registry.Deployed && old.State != registry.Deployed {
		if err := checkDeployable(ctx, tx, v); err != nil {
			return err
		}
	}
	v.Revision, v.UpdatedAt = old.Revision+1, storekit.Now()
	args, err := versionArgs(v)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE versions SET (`+versionColumns+`) = (`+versionParams+`)
		WHERE model = $20 AND number = $21 AND revision = $22`, append(args, old.Model, old.Number, old.Revision)...)
	if isUnique(err) {
		return fmt.Errorf("%w: %s@%d cannot be deployed while another version of %s is deployed", registry.ErrConflict, v.Model, v.Number, v.Model)
	}
	if err != nil {
		return fmt.Errorf("update version %s@%d: %w", v.Model, v.Number, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: version %s@%d changed during the update", registry.ErrConflict, v.Model, v.Number)
	}
	return nil
}

// checkDeployable refuses a second deployed version of v's model.
func checkDeployable(ctx context.Context, tx pgx.Tx, v *registry.Version) error {
	var other int64
	err := tx.QueryRow(ctx, `SELECT number FROM versions WHERE model = $1 AND state = 'deployed' AND number <> $2`,
		v.Model, v.Number).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check deployed versions of %s: %w", v.Model, err)
	}
	return storekit.DeployConflict(v.Model, v.Number, other)
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNull reads a NULL time back as the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
