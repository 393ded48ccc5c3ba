package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/internal/storekit"
)

func scanToken(r scanner) (*registry.Token, error) {
	var t registry.Token
	var models string
	var created, expires, revoked int64
	err := r.Scan(&t.ID, &t.SecretHash, &t.Name, &t.Role, &models, &t.CreatedBy, &created, &expires, &revoked, &t.BoundVersion)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(models), &t.Models); err != nil {
		return nil, fmt.Errorf("token %s: stored model scope is corrupt: %w", t.ID, err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(created), fromMicros(expires), fromMicros(revoked)
	return &t, nil
}

func tokenArgs(t *registry.Token) ([]any, error) {
	models, err := json.Marshal(t.Models)
	if err != nil {
		return nil, fmt.Errorf("encode model scope of token %s: %w", t.ID, err)
	}
	return []any{t.ID, t.SecretHash, t.Name, string(t.Role), string(models), t.CreatedBy,
		t.CreatedAt.UnixMicro(), t.ExpiresAt.UnixMicro(), t.RevokedAt.UnixMicro(), t.BoundVersion}, nil
}

func tokenErr(err error, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("token %s: %w", id, registry.ErrNotFound)
	}
	return fmt.Errorf("read token %s: %w", id, err)
}

// CreateToken implements registry.Store. A zero CreatedAt is set to now.
func (s *Store) CreateToken(ctx context.Context, t *registry.Token, e *registry.AuditEntry) error {
	if err := storekit.CheckToken(t); err != nil {
		return err
	}
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	nt := *t
	if nt.CreatedAt.IsZero() {
		nt.CreatedAt = storekit.Now()
	}
	storekit.StampToken(&nt)
	args, err := tokenArgs(&nt)
	if err != nil {
		return err
	}
	var se registry.AuditEntry
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if isConstraint(err) {
			return fmt.Errorf("%w: token %s exists already", registry.ErrConflict, t.ID)
		}
		if err != nil {
			return fmt.Errorf("insert token %s: %w", t.ID, err)
		}
		se, err = appendEntry(ctx, tx, e)
		return err
	})
	if err != nil {
		return err
	}
	*t, *e = nt, se
	return nil
}

// Token implements registry.Store.
func (s *Store) Token(ctx context.Context, id string) (*registry.Token, error) {
	t, err := scanToken(s.stmts.token.QueryRowContext(ctx, id))
	return t, tokenErr(err, id)
}

// Tokens implements registry.Store.
func (s *Store) Tokens(ctx context.Context, p registry.Page) ([]*registry.Token, string, error) {
	after := ""
	if p.After != "" {
		var err error
		if after, err = storekit.DecodeCursor("token", p.After); err != nil {
			return nil, "", err
		}
	}
	n := storekit.Limit(p.Limit)
	rows, err := s.stmts.tokens.QueryContext(ctx, after, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	out, err := collect(rows, scanToken)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	out, next := storekit.Trim(out, n, "token", func(t *registry.Token) string { return t.ID })
	return out, next, nil
}

// UpdateToken implements registry.Store. The id may not change.
func (s *Store) UpdateToken(ctx context.Context, id string, fn func(*registry.Token) (*registry.AuditEntry, error)) (*registry.Token, error) {
	var out *registry.Token
	var e *registry.AuditEntry
	var se registry.AuditEntry
	err := s.write(ctx, func(tx *sql.Tx) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?`, id))
		if err != nil {
			return tokenErr(err, id)
		}
		if e, err = fn(t); err != nil {
			return err
		}
		if err := writeToken(ctx, tx, id, t, e); err != nil {
			return err
		}
		se, err = appendEntry(ctx, tx, e)
		out = t
		return err
	})
	if err != nil {
		return nil, err
	}
	*e = se
	return out, nil
}

func writeToken(ctx context.Context, tx *sql.Tx, id string, t *registry.Token, e *registry.AuditEntry) error {
	if t.ID != id {
		return fmt.Errorf("update of token %s may not change its id", id)
	}
	if err := storekit.CheckToken(t); err != nil {
		return err
	}
	if err := storekit.CheckEntry(e); err != nil {
		return err
	}
	storekit.StampToken(t)
	args, err := tokenArgs(t)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET (`+tokenColumns+`) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?`,
		append(args, id)...); err != nil {
		return fmt.Errorf("update token %s: %w", id, err)
	}
	return nil
}
