package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/internal/storekit"
)

const versionColumns = `model, number, state, digest, files, signature, bom, scan_report, signer,
	findings, verdict, evaluation, publisher, approver, reason, archive_key, created_at, updated_at, revision`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

func scanVersion(r scanner) (*registry.Version, error) {
	var v registry.Version
	var files string
	var eval []byte
	var created, updated int64
	err := r.Scan(&v.Model, &v.Number, &v.State, &v.Digest, &files, &v.Signature, &v.BOM, &v.ScanReport, &v.Signer,
		&v.Findings, &v.Verdict, &eval, &v.Publisher, &v.Approver, &v.Reason, &v.ArchiveKey, &created, &updated, &v.Revision)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(files), &v.Files); err != nil {
		return nil, fmt.Errorf("version %s@%d: stored file list is corrupt: %w", v.Model, v.Number, err)
	}
	if len(eval) > 0 {
		v.Evaluation = eval
	}
	v.CreatedAt, v.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &v, nil
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
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
		v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(), v.Revision}, nil
}

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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE model = ?`,
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
		se, err = appendEntry(ctx, tx, &ec)
		return err
	})
	if err != nil {
		return err
	}
	*v, *e = nv, se
	return nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, v *registry.Version) error {
	args, err := versionArgs(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO versions (`+versionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if isConstraint(err) {
		return fmt.Errorf("%w: version %s@%d exists already", registry.ErrConflict, v.Model, v.Number)
	}
	if err != nil {
		return fmt.Errorf("insert version %s@%d: %w", v.Model, v.Number, err)
	}
	return nil
}

// Version implements registry.Store.
func (s *Store) Version(ctx context.Context, model string, number int64) (*registry.Version, error) {
	v, err := scanVersion(s.stmts.version.QueryRowContext(ctx, model, number))
	return v, versionErr(err, model, number)
}

func versionErr(err error, model string, number int64) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
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
	rows, err := s.stmts.versions.QueryContext(ctx, model, before, n+1)
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
	rows, err := s.stmts.models.QueryContext(ctx, after, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list models: %w", err)
	}
	out, err := collect(rows, func(r scanner) (registry.ModelSummary, error) {
		var m registry.ModelSummary
		var updated int64
		err := r.Scan(&m.Model, &m.Versions, &m.Deployed, &updated)
		m.UpdatedAt = fromMicros(updated)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM versions WHERE model = ? AND number = ?`, model, number))
		if err != nil {
			return versionErr(err, model, number)
		}
		v := *old
		v.Files = append([]registry.File(nil), old.Files...)
		if e, err = fn(&v); err != nil {
			return err
		}
		if err := s.writeVersion(ctx, tx, old, &v, e); err != nil {
			return err
		}
		ec := *e
		ec.Model, ec.Version = model, number
		se, err = appendEntry(ctx, tx, &ec)
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
func (s *Store) writeVersion(ctx context.Context, tx *sql.Tx, old, v *registry.Version, e *registry.AuditEntry) error {
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
	res, err := tx.ExecContext(ctx, `UPDATE versions SET (`+versionColumns+`)
		= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		WHERE model = ? AND number = ? AND revision = ?`, append(args, old.Model, old.Number, old.Revision)...)
	if isConstraint(err) {
		return fmt.Errorf("%w: %s@%d cannot be deployed while another version of %s is deployed", registry.ErrConflict, v.Model, v.Number, v.Model)
	}
	if err != nil {
		return fmt.Errorf("update version %s@%d: %w", v.Model, v.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: version %s@%d changed during the update", registry.ErrConflict, v.Model, v.Number)
	}
	return nil
}

// checkDeployable refuses a second deployed version of v's model.
func checkDeployable(ctx context.Context, tx *sql.Tx, v *registry.Version) error {
	var other int64
	err := tx.QueryRowContext(ctx, `SELECT number FROM versions WHERE model = ? AND state = 'deployed' AND number <> ?`,
		v.Model, v.Number).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check deployed versions of %s: %w", v.Model, err)
	}
	return storekit.DeployConflict(v.Model, v.Number, other)
}
