package registry

import "context"

// Store keeps the registry's state. Every method that changes state also
// appends its audit entry in the same transaction, so the log and the state
// never disagree, even across a crash. Appends are serialised: entries get
// gap-free sequence numbers and each one's Prev is the previous one's Hash
// (ChainHash). Implementations: registry/sqlite, registry/postgres.
type Store interface {
	// CreateVersion assigns v.Number (one more than the model's highest),
	// sets v.State to Registered, the times and Revision 1, inserts it and
	// appends e (with e.Model and e.Version filled in).
	CreateVersion(ctx context.Context, v *Version, e *AuditEntry) error
	// Version returns one version, or ErrNotFound.
	Version(ctx context.Context, model string, number int64) (*Version, error)
	// Versions lists a model's versions, newest first; the cursor is the
	// next page's Page.After, empty on the last page.
	Versions(ctx context.Context, model string, p Page) ([]*Version, string, error)
	// Models lists models by name.
	Models(ctx context.Context, p Page) ([]ModelSummary, string, error)
	// UpdateVersion loads the version, calls fn with it inside the
	// transaction and, unless fn fails, writes the changed version (its
	// Revision incremented, UpdatedAt set) and appends the entry fn
	// returns. fn's error is returned unchanged and nothing is written.
	// A version that is not Deployed may not become Deployed while another
	// version of the model is: stores refuse with ErrConflict.
	UpdateVersion(ctx context.Context, model string, number int64, fn func(*Version) (*AuditEntry, error)) (*Version, error)

	// CreateToken inserts t (ErrConflict when the id exists) and appends e.
	CreateToken(ctx context.Context, t *Token, e *AuditEntry) error
	// Token returns a token by id, or ErrNotFound.
	Token(ctx context.Context, id string) (*Token, error)
	// Tokens lists tokens by id.
	Tokens(ctx context.Context, p Page) ([]*Token, string, error)
	// UpdateToken is UpdateVersion for tokens.
	UpdateToken(ctx context.Context, id string, fn func(*Token) (*AuditEntry, error)) (*Token, error)

	// Append appends an entry that changes no state (such as a refused
	// request worth recording).
	Append(ctx context.Context, e *AuditEntry) error
	// Audit returns up to limit entries with Seq > after, in order.
	Audit(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
	// Head returns the last entry's Seq and Hash (0 and nil when empty).
	Head(ctx context.Context) (int64, []byte, error)
	// AddCheckpoint stores a signed checkpoint; Checkpoints lists them
	// in order.
	AddCheckpoint(ctx context.Context, c *Checkpoint) error
	Checkpoints(ctx context.Context) ([]Checkpoint, error)

	Close() error
}
