// Package storekit holds what every registry store shares: the rules a
// store enforces before it writes, its clock and its page cursors, so that
// the SQLite and PostgreSQL stores refuse and answer exactly alike.
package storekit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelward/modelward/registry"
)

// Now is the store's clock, at the precision every store keeps.
func Now() time.Time { return Stamp(time.Now()) }

// Stamp gives t in UTC at microsecond precision, as it reads back.
func Stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Limit applies registry.MaxPageSize to a requested page size.
func Limit(n int) int {
	if n <= 0 || n > registry.MaxPageSize {
		return registry.MaxPageSize
	}
	return n
}

// Cursors are opaque to callers: base64 of a kind tag and the last key, so
// a cursor from one listing is refused by another.
func EncodeCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

func DecodeCursor(kind, c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if key, ok := strings.CutPrefix(string(b), kind+":"); ok {
			return key, nil
		}
	}
	return "", fmt.Errorf("%w %q: it does not come from a %s listing", registry.ErrBadCursor, c, kind)
}

// DecodeNumberCursor decodes a version-listing cursor: the last number.
func DecodeNumberCursor(c string) (int64, error) {
	key, err := DecodeCursor("version", c)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w %q: bad version number", registry.ErrBadCursor, c)
	}
	return n, nil
}

// Before is where a version listing resumes: the numbers below the one
// cursor c names, or every number when c is empty.
func Before(c string) (int64, error) {
	if c == "" {
		return math.MaxInt64, nil
	}
	return DecodeNumberCursor(c)
}

// Trim cuts a page that was read with one row more than n (so that a next
// page is known to exist) and returns the next page's cursor, of the kind
// given and naming the last row kept by key; "" at the end.
func Trim[T any](rows []T, n int, kind string, key func(T) string) ([]T, string) {
	if len(rows) <= n {
		return rows, ""
	}
	rows = rows[:n]
	return rows, EncodeCursor(kind, key(rows[n-1]))
}

// CheckEntry refuses audit entries that would record nothing useful or
// that could not be rendered back as JSON.
func CheckEntry(e *registry.AuditEntry) error {
	switch {
	case e == nil:
		return errors.New("no audit entry given: every change must be recorded")
	case e.Actor == "":
		return errors.New("audit entry has no actor")
	case e.Action == "":
		return errors.New("audit entry has no action")
	case len(e.Detail) > 0 && !json.Valid(e.Detail):
		return fmt.Errorf("audit entry %q: detail is not valid JSON", e.Action)
	}
	return CheckText("audit entry", e.Actor, e.Action, e.Model, string(e.From), string(e.To), e.Reason)
}

// CheckText refuses strings PostgreSQL's text type cannot hold (NUL,
// invalid UTF-8), in every store, so that what one backend accepts the
// other does too.
func CheckText(what string, ss ...string) error {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("%s: %q is not valid UTF-8 text", what, s)
		}
	}
	return nil
}

// CheckVersion refuses a version the store cannot keep faithfully.
func CheckVersion(v *registry.Version) error {
	switch {
	case v == nil:
		return errors.New("no version given")
	case v.Model == "":
		return errors.New("version has no model name")
	case !v.State.Valid():
		return fmt.Errorf("%w: unknown state %q", registry.ErrIllegalTransition, v.State)
	case len(v.Evaluation) > 0 && !json.Valid(v.Evaluation):
		return fmt.Errorf("version %s@%d: evaluation is not valid JSON", v.Model, v.Number)
	}
	for _, f := range v.Files {
		if err := CheckText("version file", f.Path, f.Digest); err != nil {
			return err
		}
	}
	return CheckText("version", v.Model, v.Digest, v.Signature, v.BOM, v.ScanReport, v.Signer, v.Verdict,
		v.Publisher, v.Approver, v.Reason, v.ArchiveKey)
}

// CheckUpdate refuses an update that changes which version it is.
func CheckUpdate(old, v *registry.Version) error {
	if v.Model != old.Model || v.Number != old.Number || !v.CreatedAt.Equal(old.CreatedAt) {
		return fmt.Errorf("update of %s@%d may not change the model, number or creation time", old.Model, old.Number)
	}
	return CheckVersion(v)
}

var roles = []registry.Role{registry.RoleViewer, registry.RolePublisher, registry.RoleApprover, registry.RoleAdmin}

// CheckToken refuses a token with an unknown role or a secret hash that
// is not a SHA-256: such a token could never be checked correctly.
func CheckToken(t *registry.Token) error {
	switch {
	case t == nil:
		return errors.New("no token given")
	case t.ID == "":
		return errors.New("token has no id")
	case !slices.Contains(roles, t.Role):
		return fmt.Errorf("token %s: unknown role %q", t.ID, t.Role)
	case len(t.SecretHash) != sha256.Size:
		return fmt.Errorf("token %s: secret hash is %d bytes, not a SHA-256", t.ID, len(t.SecretHash))
	}
	return CheckText("token", append([]string{t.ID, t.Name, t.CreatedBy, t.BoundVersion}, t.Models...)...)
}

// StampToken brings the token's times to the stored precision.
func StampToken(t *registry.Token) {
	t.CreatedAt = Stamp(t.CreatedAt)
	t.ExpiresAt = Stamp(t.ExpiresAt)
	t.RevokedAt = Stamp(t.RevokedAt)
}

// DeployConflict is the error for a second deployed version.
func DeployConflict(model string, number, deployed int64) error {
	return fmt.Errorf("%w: %s@%d cannot be deployed while %s@%d is deployed", registry.ErrConflict, model, number, model, deployed)
}

// Sealed returns a sealed copy of e after (prevSeq, prevHash); the caller's
// entry is only updated (with setSealed) once the transaction commits.
func Sealed(e *registry.AuditEntry, prevSeq int64, prevHash []byte) registry.AuditEntry {
	c := *e
	if !c.Time.IsZero() {
		c.Time = Stamp(c.Time)
	}
	registry.Seal(&c, prevSeq, prevHash, time.Now())
	return c
}

// CheckCheckpoint refuses a checkpoint that could not be verified.
func CheckCheckpoint(c *registry.Checkpoint) error {
	switch {
	case c == nil:
		return errors.New("no checkpoint given")
	case c.Seq <= 0 || len(c.Hash) == 0:
		return fmt.Errorf("checkpoint at entry %d names no audit entry or hash", c.Seq)
	case c.KeyID == "" || len(c.Signature) == 0:
		return fmt.Errorf("checkpoint at entry %d is not signed", c.Seq)
	}
	return nil
}

// PrepareCheckpoint checks c and returns the copy a store writes: a zero
// Time set to now, and the time at the stores' microsecond precision.
func PrepareCheckpoint(c *registry.Checkpoint) (registry.Checkpoint, error) {
	if err := CheckCheckpoint(c); err != nil {
		return registry.Checkpoint{}, err
	}
	cc := *c
	if cc.Time.IsZero() {
		cc.Time = Now()
	}
	cc.Time = Stamp(cc.Time)
	return cc, nil
}
