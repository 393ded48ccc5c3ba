package registry

import (
	"encoding/json"
	"errors"
	"time"
)

// Errors every Store returns (wrapped); test with errors.Is.
var (
	ErrNotFound          = errors.New("not found")
	ErrConflict          = errors.New("conflict") // exists already, or changed under the caller
	ErrIllegalTransition = errors.New("illegal lifecycle transition")
	// ErrBadCursor: a page cursor that no listing of this kind gave out.
	ErrBadCursor = errors.New("invalid page cursor")
)

// File is one file of a model version: its path in the model (slash
// separated, "." for a single-file model), the SHA-256 of its content
// (hex, also its blob address) and its size.
type File struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Version is one pushed version of a model.
type Version struct {
	Model  string `json:"model"`
	Number int64  `json:"version"` // 1, 2, ... per model, assigned by the store
	State  State  `json:"state"`
	// Digest is the model's OpenSSF model signing subject digest
	// ("sha256:<hex>"): what its signature covers.
	Digest string `json:"digest"`
	Files  []File `json:"files"`
	// Blob digests (hex SHA-256) of what was stored with the version.
	Signature  string `json:"signature,omitempty"`   // the signature bundle
	BOM        string `json:"bom,omitempty"`         // the CycloneDX AI-BOM
	ScanReport string `json:"scan_report,omitempty"` // the JSON scan report
	// Signer is who signed, as verification found it.
	Signer string `json:"signer,omitempty"`
	// Findings and Verdict summarise the scan.
	Findings int    `json:"findings"`
	Verdict  string `json:"verdict,omitempty"`
	// Evaluation holds the recorded evaluation results (JSON object).
	Evaluation json.RawMessage `json:"evaluation,omitempty"`
	Publisher  string          `json:"publisher"`
	Approver   string          `json:"approver,omitempty"`
	// Reason is the reason given for the last transition.
	Reason string `json:"reason,omitempty"`
	// ArchiveKey names the key that encrypts the retired version's archive;
	// empty once it is destroyed (the archive is then unreadable).
	ArchiveKey string    `json:"archive_key,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Revision increases with every update; stores use it to detect
	// concurrent writers.
	Revision int64 `json:"revision"`
}

// ModelSummary is one model in a listing.
type ModelSummary struct {
	Model    string `json:"model"`
	Versions int64  `json:"versions"`
	// Deployed is the number of the deployed version, 0 when none.
	Deployed  int64     `json:"deployed"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Role is what a token may do.
type Role string

// Roles, each including the ones before it, except that an approver may
// not publish (the two-person rule is enforced separately).
const (
	RoleViewer    Role = "viewer"    // read models, versions and the audit log
	RolePublisher Role = "publisher" // push versions, record evaluations
	RoleApprover  Role = "approver"  // approve, deploy, roll back, quarantine
	RoleAdmin     Role = "admin"     // retire, tokens, everything
)

// Token is an API token. The secret is shown once at creation; only its
// SHA-256 is stored (tokens are 256-bit random, so a fast hash is enough).
type Token struct {
	ID         string    `json:"id"`
	SecretHash []byte    `json:"-"`
	Name       string    `json:"name"`
	Role       Role      `json:"role"`
	Models     []string  `json:"models,omitempty"` // scope: these models only; empty means all
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitempty"`
	// BoundVersion, when set ("model@version"), ties the token to one
	// version: retiring that version revokes it.
	BoundVersion string `json:"bound_version,omitempty"`
}

// AuditEntry is one record of the append-only, hash-chained audit log.
// Stores fill Seq, Time (when zero), Prev and Hash when they append.
type AuditEntry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`  // token id or "local:<user>"
	Action  string    `json:"action"` // e.g. "version.push", "version.transition", "token.create"
	Model   string    `json:"model,omitempty"`
	Version int64     `json:"version,omitempty"`
	From    State     `json:"from,omitempty"`
	To      State     `json:"to,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// Detail is free JSON for what the action carries (findings, ids).
	Detail json.RawMessage `json:"detail,omitempty"`
	Prev   []byte          `json:"prev"`
	Hash   []byte          `json:"hash"`
}

// Checkpoint is a signed statement of the audit chain's head, written
// periodically so that a truncated or rewritten log is detectable even by
// someone who kept only the checkpoints.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      []byte    `json:"hash"`
	Time      time.Time `json:"time"`
	KeyID     string    `json:"key_id"`
	Signature []byte    `json:"signature"`
}

// Page asks for one page of a listing: items after the cursor After (from
// a previous page's next cursor; empty for the first page), at most Limit.
type Page struct {
	After string
	Limit int
}

// MaxPageSize bounds Page.Limit; 0 or more means MaxPageSize.
const MaxPageSize = 1000
