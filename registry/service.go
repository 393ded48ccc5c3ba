package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry/blob"
)

// ErrBlocked: a gate refused the step; the error says which and why.
var ErrBlocked = errors.New("blocked by the policy")

// ErrTampered: stored artifacts no longer match the signed manifest; the
// version has been quarantined.
var ErrTampered = errors.New("artifacts do not match the signed manifest")

// Checker inspects a model laid out in a folder, with its signature file
// beside it, under the current policy: it scans, verifies the signature
// and describes the model. registry/check implements it with the scanner,
// the signing package and the AI-BOM; the registry knows no more of them.
// files are the version's files with the SHA-256 digests the blob store
// computed (and, on re-verification, just confirmed), so the checker need
// not hash the model again.
type Checker interface {
	Check(ctx context.Context, dir, signature string, files []File) (*Check, error)
}

// Check is what a Checker found.
type Check struct {
	// Digest is the model's OpenSSF model signing subject digest
	// ("sha256:<hex>", files method, SHA-256): what a signature covers.
	Digest   string
	Verdict  string // the worst scan verdict over the files
	Findings int
	// Blocked lists why the verification gate refuses (findings at or above
	// block_on, files not fully inspected, signature problems); empty when
	// the version may become verified.
	Blocked []string
	Signer  string
	// Tampered: the signature is valid but the files differ from it.
	Tampered bool
	// Report and BOM are the JSON scan report and the CycloneDX AI-BOM.
	Report, BOM []byte
}

// Service is the registry's behaviour over a Store and a blob store: it
// authorises every call, applies the policy's gates and records it all.
type Service struct {
	store   Store
	blobs   *blob.Store
	checker Checker
	gates   policy.Gates
	events  *Events
	now     func() time.Time
	revoked revocations
	// gc keeps retirement's blob removal from racing a push that stores
	// the same content (pushes hold it shared until their version exists).
	gc sync.RWMutex
	// MaxFileBytes bounds one pushed file.
	MaxFileBytes int64
}

// NewService wires a service. events may be nil.
func NewService(store Store, blobs *blob.Store, checker Checker, gates policy.Gates, events *Events) *Service {
	if events == nil {
		events = NewEvents()
	}
	return &Service{store: store, blobs: blobs, checker: checker, gates: gates, events: events, now: time.Now, MaxFileBytes: 1 << 40}
}

// Events returns the broker state changes are published to.
func (s *Service) Events() *Events { return s.events }

// Store returns the underlying store (for reads and the audit log).
func (s *Service) Store() Store { return s.store }

// Blobs returns the artifact store (for downloads of stored blobs).
func (s *Service) Blobs() *blob.Store { return s.blobs }

// PushFile is one file of a pushed model.
type PushFile struct {
	Path string // slash separated, relative to the model root; "." for a single-file model
	Body io.Reader
}

// Part is one part of an upload: a file, or the signature.
type Part struct {
	PushFile
	Signature bool
}

// Upload yields a pushed model's parts in the order they arrive (an HTTP
// multipart body, say): each part is read to its end before the next is
// asked for, so nothing is held in memory.
type Upload interface {
	// Next returns the next part, or io.EOF after the last.
	Next() (Part, error)
}

// Files is an Upload of files already at hand and an optional signature.
func Files(files []PushFile, signature io.Reader) Upload {
	parts := make([]Part, 0, len(files)+1)
	for _, f := range files {
		parts = append(parts, Part{PushFile: f})
	}
	if signature != nil {
		parts = append(parts, Part{PushFile: PushFile{Body: signature}, Signature: true})
	}
	return &sliceUpload{parts: parts}
}

type sliceUpload struct{ parts []Part }

func (u *sliceUpload) Next() (Part, error) {
	if len(u.parts) == 0 {
		return Part{}, io.EOF
	}
	p := u.parts[0]
	u.parts = u.parts[1:]
	return p, nil
}

// Limits bound what one push may hold.
const (
	MaxPushFiles      = 100_000
	MaxSignatureBytes = 16 << 20
)

// Push stores a new version of model: its files and signature go to the
// blob store as they arrive, the checker scans it, verifies the signature
// and writes the AI-BOM, and the version is recorded as registered, then
// verified when the gate passes. A version that fails the gate stays
// registered, with the reasons in Check.Blocked.
func (s *Service) Push(ctx context.Context, a Actor, model string, up Upload) (*Version, *Check, error) {
	if err := ValidModelName(model); err != nil {
		return nil, nil, err
	}
	if err := a.Allow(RolePublisher, model); err != nil {
		return nil, nil, err
	}
	v := &Version{Model: model, Publisher: a.ID}
	s.gc.RLock()
	defer s.gc.RUnlock()
	if err := s.receive(ctx, v, up); err != nil {
		return nil, nil, err
	}
	chk, err := s.check(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	s.applyCheck(v, chk)
	if v.ScanReport, err = s.putBytes(ctx, chk.Report); err != nil {
		return nil, nil, err
	}
	if v.BOM, err = s.putBytes(ctx, chk.BOM); err != nil {
		return nil, nil, err
	}
	detail, _ := json.Marshal(map[string]any{"files": len(v.Files), "verdict": chk.Verdict, "findings": chk.Findings, "blocked": chk.Blocked})
	e := &AuditEntry{Actor: a.ID, Action: "version.push", To: Registered, Detail: detail}
	if err := s.store.CreateVersion(ctx, v, e); err != nil {
		return nil, nil, err
	}
	s.events.Publish(*e)
	if len(chk.Blocked) > 0 {
		return v, chk, nil
	}
	v, err = s.move(ctx, a, v.Model, v.Number, Verified, "scanned clean and "+signedBy(chk), nil)
	return v, chk, err
}

// receive stores every part of the upload in the blob store; the files
// are durable when it returns nil.
func (s *Service) receive(ctx context.Context, v *Version, up Upload) error {
	batch := s.blobs.Batch()
	err := s.receiveParts(ctx, v, up, batch)
	if werr := batch.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("storing the files: %w", werr)
	}
	return err
}

func (s *Service) receiveParts(ctx context.Context, v *Version, up Upload, batch *blob.Batch) error {
	paths := NewPathSet()
	for {
		p, err := up.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the upload: %w", err)
		}
		if p.Signature {
			if v.Signature != "" {
				return errors.New("the upload holds two signatures")
			}
			if v.Signature, _, err = s.blobs.Put(ctx, p.Body, MaxSignatureBytes); err != nil {
				return fmt.Errorf("storing the signature: %w", err)
			}
			continue
		}
		if err := s.receiveFile(ctx, v, p.PushFile, paths, batch); err != nil {
			return err
		}
	}
	if len(v.Files) == 0 {
		return fmt.Errorf("%w: a model needs at least one file", ErrInvalidUpload)
	}
	sort.Slice(v.Files, func(i, j int) bool { return v.Files[i].Path < v.Files[j].Path })
	return nil
}

func (s *Service) receiveFile(ctx context.Context, v *Version, f PushFile, paths *PathSet, batch *blob.Batch) error {
	if err := paths.Add(f.Path); err != nil {
		return err
	}
	if len(v.Files) >= MaxPushFiles {
		return fmt.Errorf("more than %d files in one push", MaxPushFiles)
	}
	d, n, err := batch.Put(ctx, f.Body, s.MaxFileBytes)
	if err != nil {
		return fmt.Errorf("storing %s: %w", f.Path, err)
	}
	v.Files = append(v.Files, File{Path: f.Path, Digest: d, Size: n})
	return nil
}

func signedBy(c *Check) string {
	if c.Signer == "" {
		return "not signed"
	}
	return "signed by " + c.Signer
}

func (s *Service) applyCheck(v *Version, c *Check) {
	v.Digest, v.Verdict, v.Findings, v.Signer = c.Digest, c.Verdict, c.Findings, c.Signer
	v.Reason = strings.Join(c.Blocked, "; ")
}

func (s *Service) putBytes(ctx context.Context, b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	d, _, err := s.blobs.Put(ctx, strings.NewReader(string(b)), 0)
	return d, err
}

// check lays the version out in a private temporary folder (hard links to
// the blobs) and runs the checker on it.
func (s *Service) check(ctx context.Context, v *Version) (*Check, error) {
	tmp, err := s.blobs.TempDir("check-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "model")
	if len(v.Files) == 1 && v.Files[0].Path == "." {
		root = filepath.Join(tmp, "model.bin")
	}
	for _, f := range v.Files {
		dst := root
		if f.Path != "." {
			dst = filepath.Join(root, filepath.FromSlash(f.Path))
		}
		if err := s.blobs.Link(f.Digest, dst); err != nil {
			return nil, err
		}
	}
	sig := ""
	if v.Signature != "" {
		sig = filepath.Join(tmp, "signature.sig")
		if err := s.blobs.Link(v.Signature, sig); err != nil {
			return nil, err
		}
	}
	chk, err := s.checker.Check(ctx, root, sig, v.Files)
	if err != nil || chk.Signer == "" {
		return chk, err
	}
	why, err := s.revokedSigner(ctx, chk.Signer)
	if err != nil {
		return nil, err
	}
	if why != "" {
		chk.Blocked = append(chk.Blocked, fmt.Sprintf("signature: the signer %s was %s", chk.Signer, why))
	}
	return chk, nil
}

// Transition moves a version to another state, checking the actor's role
// and the gate of the target state. reason is recorded in the audit log.
func (s *Service) Transition(ctx context.Context, a Actor, model string, n int64, to State, reason string) (*Version, error) {
	need := map[State]Role{
		Verified: RolePublisher, Evaluated: RolePublisher, Approved: RoleApprover, Deployed: RoleApprover,
		Deprecated: RoleApprover, Quarantined: RoleApprover, Registered: RoleAdmin, Retired: RoleAdmin,
	}[to]
	if need == "" {
		return nil, fmt.Errorf("%w: unknown state %q", ErrIllegalTransition, to)
	}
	if err := a.Allow(need, model); err != nil {
		return nil, err
	}
	switch to {
	case Verified:
		return s.verify(ctx, a, model, n, reason)
	case Deployed:
		return s.deploy(ctx, a, model, n, reason)
	case Retired:
		return s.Retire(ctx, a, model, n, RetireOptions{Reason: reason})
	}
	return s.move(ctx, a, model, n, to, reason, nil)
}

// move is one audited transition with the gates that need only the
// version itself (evaluation results, the two-person rule).
func (s *Service) move(ctx context.Context, a Actor, model string, n int64, to State, reason string, edit func(*Version)) (*Version, error) {
	var entry *AuditEntry
	v, err := s.store.UpdateVersion(ctx, model, n, func(v *Version) (*AuditEntry, error) {
		if err := CheckTransition(v.State, to); err != nil {
			return nil, err
		}
		if err := s.gate(a, v, to); err != nil {
			return nil, err
		}
		from := v.State
		v.State, v.Reason = to, reason
		if to == Approved {
			v.Approver = a.ID
		}
		if edit != nil {
			edit(v)
		}
		entry = &AuditEntry{Actor: a.ID, Action: "version.transition", Model: model, Version: n, From: from, To: to, Reason: reason}
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	s.events.Publish(*entry)
	return v, nil
}

// gate applies the policy's gates that depend only on the version.
func (s *Service) gate(a Actor, v *Version, to State) error {
	switch to {
	case Evaluated:
		var results map[string]float64
		if len(v.Evaluation) > 0 {
			if err := json.Unmarshal(v.Evaluation, &results); err != nil {
				return fmt.Errorf("%w: the recorded evaluation is not a map of metric to number", ErrBlocked)
			}
		}
		if fails := s.gates.CheckEvaluation(results); len(fails) > 0 {
			return fmt.Errorf("%w: evaluation: %s", ErrBlocked, strings.Join(fails, "; "))
		}
	case Approved:
		if s.gates.TwoPersonRule && a.ID == v.Publisher {
			return fmt.Errorf("%w: the two-person rule: %s published this version and may not approve it", ErrBlocked, a.ID)
		}
	}
	return nil
}

// verify re-runs the checker (the policy may have changed since the push)
// and moves a registered version to verified when it passes.
func (s *Service) verify(ctx context.Context, a Actor, model string, n int64, reason string) (*Version, error) {
	v, err := s.store.Version(ctx, model, n)
	if err != nil {
		return nil, err
	}
	chk, err := s.reverify(ctx, a, v)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "scanned clean and " + signedBy(chk)
	}
	return s.move(ctx, a, model, n, Verified, reason, func(v *Version) { s.applyCheck(v, chk); v.Reason = reason })
}

// reverify checks a stored version again: every blob must still hash to
// its name, and the checker must pass under the current policy. Tampering
// quarantines the version (ErrTampered); a gate failure is ErrBlocked.
func (s *Service) reverify(ctx context.Context, a Actor, v *Version) (*Check, error) {
	if f, err := s.verifyBlobs(ctx, v.Files); err != nil {
		if errors.Is(err, blob.ErrCorrupt) || errors.Is(err, blob.ErrNotFound) {
			return nil, s.quarantine(ctx, a, v, fmt.Sprintf("stored file %s changed: %v", f, err))
		}
		return nil, err
	}
	chk, err := s.check(ctx, v)
	if err != nil {
		return nil, err
	}
	if chk.Tampered {
		return nil, s.quarantine(ctx, a, v, "the files do not match the signed manifest: "+strings.Join(chk.Blocked, "; "))
	}
	if len(chk.Blocked) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBlocked, strings.Join(chk.Blocked, "; "))
	}
	return chk, nil
}

// verifyBlobs hashes every file of a version again, on all cores, and
// returns the first file that fails with its error.
func (s *Service) verifyBlobs(ctx context.Context, files []File) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan File)
	type failure struct {
		path string
		err  error
	}
	fails := make(chan failure, len(files))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := s.blobs.Verify(ctx, f.Digest); err != nil {
					fails <- failure{f.Path, err}
					cancel()
				}
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		work <- f
	}
	close(work)
	wg.Wait()
	close(fails)
	for f := range fails {
		if !errors.Is(f.err, context.Canceled) {
			return f.path, f.err
		}
	}
	return "", ctx.Err()
}

// quarantine records tampering and returns ErrTampered.
func (s *Service) quarantine(ctx context.Context, a Actor, v *Version, why string) error {
	if v.State != Quarantined && v.State != Retired {
		if _, err := s.move(ctx, a, v.Model, v.Number, Quarantined, why, nil); err != nil {
			return fmt.Errorf("%w (%s), and quarantining it failed: %v", ErrTampered, why, err)
		}
	}
	return fmt.Errorf("%w: %s@%d quarantined: %s", ErrTampered, v.Model, v.Number, why)
}

// deploy re-verifies the version, deprecates the deployed one and deploys.
func (s *Service) deploy(ctx context.Context, a Actor, model string, n int64, reason string) (*Version, error) {
	v, err := s.store.Version(ctx, model, n)
	if err != nil {
		return nil, err
	}
	if err := CheckTransition(v.State, Deployed); err != nil {
		return nil, err
	}
	if _, err := s.reverify(ctx, a, v); err != nil {
		return nil, err
	}
	return s.switchTo(ctx, a, v, reason)
}

// switchTo deploys a re-verified version, deprecating the deployed one
// first (the store refuses two deployed versions of one model).
func (s *Service) switchTo(ctx context.Context, a Actor, v *Version, reason string) (*Version, error) {
	cur, err := s.deployed(ctx, v.Model)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Number != v.Number {
		if _, err := s.move(ctx, a, v.Model, cur.Number, Deprecated, fmt.Sprintf("replaced by version %d", v.Number), nil); err != nil {
			return nil, err
		}
	}
	if reason == "" {
		reason = "artifacts re-verified against the signed manifest"
	}
	return s.move(ctx, a, v.Model, v.Number, Deployed, reason, nil)
}

// deployed returns the model's deployed version, or nil.
func (s *Service) deployed(ctx context.Context, model string) (*Version, error) {
	var found *Version
	err := s.eachVersion(ctx, model, func(v *Version) bool {
		if v.State == Deployed {
			found = v
			return false
		}
		return true
	})
	return found, err
}

// eachVersion calls fn for every version of model, newest first, until fn
// returns false.
func (s *Service) eachVersion(ctx context.Context, model string, fn func(*Version) bool) error {
	list := func(ctx context.Context, p Page) ([]*Version, string, error) { return s.store.Versions(ctx, model, p) }
	return eachItem(ctx, list, func(v *Version) error {
		if !fn(v) {
			return errStop
		}
		return nil
	})
}

// errStop ends eachItem early, without an error.
var errStop = errors.New("stop")

// eachItem pages through a store listing and calls fn for every item,
// until fn fails (errStop ends it cleanly) or the listing ends.
func eachItem[T any](ctx context.Context, list func(context.Context, Page) ([]T, string, error), fn func(T) error) error {
	p := Page{Limit: MaxPageSize}
	for {
		items, next, err := list(ctx, p)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); errors.Is(err, errStop) {
				return nil
			} else if err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		p.After = next
	}
}

// RecordEvaluation stores evaluation results (metric → value) on a version.
func (s *Service) RecordEvaluation(ctx context.Context, a Actor, model string, n int64, results map[string]float64) (*Version, error) {
	if err := a.Allow(RolePublisher, model); err != nil {
		return nil, err
	}
	b, err := json.Marshal(results)
	if err != nil {
		return nil, fmt.Errorf("evaluation results: %w", err)
	}
	return s.store.UpdateVersion(ctx, model, n, func(v *Version) (*AuditEntry, error) {
		if v.State == Retired || v.State == Quarantined {
			return nil, fmt.Errorf("%w: the version is %s", ErrIllegalTransition, v.State)
		}
		v.Evaluation = b
		return &AuditEntry{Actor: a.ID, Action: "version.evaluation", Model: model, Version: n, Detail: b}, nil
	})
}

// Rollback deploys the newest approved or deprecated version older than
// the deployed one, after verifying its signature and scanning it again
// under the current policy. Candidates that fail are skipped (tampered ones
// are quarantined); with none left it refuses, saying why for each.
func (s *Service) Rollback(ctx context.Context, a Actor, model, reason string) (*Version, error) {
	if err := a.Allow(RoleApprover, model); err != nil {
		return nil, err
	}
	cur, err := s.deployed(ctx, model)
	if err != nil {
		return nil, err
	}
	var cands []*Version
	err = s.eachVersion(ctx, model, func(v *Version) bool {
		if (cur == nil || v.Number < cur.Number) && (v.State == Approved || v.State == Deprecated) {
			cands = append(cands, v)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	var why []string
	for _, c := range cands {
		if _, err := s.reverify(ctx, a, c); err != nil {
			why = append(why, fmt.Sprintf("version %d: %v", c.Number, err))
			continue
		}
		if reason == "" {
			reason = fmt.Sprintf("rollback: version %d re-verified and scanned under the current policy", c.Number)
		}
		return s.switchTo(ctx, a, c, reason)
	}
	if len(cands) == 0 {
		why = append(why, "no earlier approved version")
	}
	return nil, fmt.Errorf("%w: no version of %s can be rolled back to: %s", ErrBlocked, model, strings.Join(why, "; "))
}

// RetireOptions say what retiring a version also does.
type RetireOptions struct {
	Reason string
	// Shred destroys the archive key at once.
	Shred bool
	// RevokeSigner revokes the identity that signed the version (a key or
	// certificate made for this version alone): from then on no version
	// signed by it passes the verification gate, re-verification included.
	RevokeSigner bool
}

// Retire archives the version's files encrypted under a key of their own,
// marks it retired (never deployable again), revokes the tokens bound to
// it and, as opt says, its signer and the archive key.
func (s *Service) Retire(ctx context.Context, a Actor, model string, n int64, opt RetireOptions) (*Version, error) {
	if err := a.Allow(RoleAdmin, model); err != nil {
		return nil, err
	}
	v, err := s.store.Version(ctx, model, n)
	if err != nil {
		return nil, err
	}
	if err := CheckTransition(v.State, Retired); err != nil {
		return nil, err
	}
	entries := make([]blob.Entry, len(v.Files))
	for i, f := range v.Files {
		entries[i] = blob.Entry{Path: f.Path, Digest: f.Digest}
	}
	keyID, err := s.blobs.Archive(ctx, entries)
	if err != nil {
		return nil, err
	}
	v, err = s.move(ctx, a, model, n, Retired, opt.Reason, func(v *Version) { v.ArchiveKey = keyID })
	if err != nil {
		_ = s.blobs.DestroyKey(keyID)
		return nil, err
	}
	if err := s.revokeBound(ctx, a, fmt.Sprintf("%s@%d", model, n)); err != nil {
		return v, err
	}
	if err := s.releaseFiles(ctx, v); err != nil {
		return v, err
	}
	if opt.RevokeSigner && v.Signer != "" {
		if err := s.revokeSigner(ctx, a, v); err != nil {
			return v, err
		}
	}
	if opt.Shred {
		return s.Shred(ctx, a, model, n)
	}
	return v, nil
}

// releaseFiles removes a retired version's files from the blob store once
// they are archived, unless a version still in service holds the same
// content: afterwards the archive (and its key) is the only copy, so
// shredding the key leaves nothing readable.
func (s *Service) releaseFiles(ctx context.Context, retired *Version) error {
	s.gc.Lock()
	defer s.gc.Unlock()
	inUse := map[string]bool{}
	err := s.eachModel(ctx, func(model string) error {
		return s.eachVersion(ctx, model, func(v *Version) bool {
			if v.State != Retired {
				for _, f := range v.Files {
					inUse[f.Digest] = true
				}
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, f := range retired.Files {
		if !inUse[f.Digest] {
			if err := s.blobs.Remove(f.Digest); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachModel calls fn for every model name.
func (s *Service) eachModel(ctx context.Context, fn func(string) error) error {
	return eachItem(ctx, s.store.Models, func(m ModelSummary) error { return fn(m.Model) })
}

// Shred destroys a retired version's archive key: the archive becomes
// unreadable for good.
func (s *Service) Shred(ctx context.Context, a Actor, model string, n int64) (*Version, error) {
	if err := a.Allow(RoleAdmin, model); err != nil {
		return nil, err
	}
	var entry *AuditEntry
	v, err := s.store.UpdateVersion(ctx, model, n, func(v *Version) (*AuditEntry, error) {
		if v.State != Retired || v.ArchiveKey == "" {
			return nil, fmt.Errorf("%w: only a retired version with an archive key can be shredded", ErrIllegalTransition)
		}
		// Destroy first: if the update then failed, the key would be gone
		// and the record would say so on the next attempt.
		if err := s.blobs.DestroyKey(v.ArchiveKey); err != nil {
			return nil, err
		}
		detail, _ := json.Marshal(map[string]string{"archive_key": v.ArchiveKey})
		v.ArchiveKey = ""
		entry = &AuditEntry{Actor: a.ID, Action: "version.shred", Model: model, Version: n, Detail: detail}
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	s.events.Publish(*entry)
	return v, nil
}

// revokeBound revokes every live token bound to the version.
func (s *Service) revokeBound(ctx context.Context, a Actor, bound string) error {
	return eachItem(ctx, s.store.Tokens, func(t *Token) error {
		if t.BoundVersion != bound || !t.RevokedAt.IsZero() {
			return nil
		}
		return s.revoke(ctx, a, t.ID, "version "+bound+" retired")
	})
}

func (s *Service) revoke(ctx context.Context, a Actor, id, reason string) error {
	_, err := s.store.UpdateToken(ctx, id, func(t *Token) (*AuditEntry, error) {
		if !t.RevokedAt.IsZero() {
			return nil, fmt.Errorf("%w: token %s is already revoked", ErrConflict, id)
		}
		t.RevokedAt = s.now().UTC()
		return &AuditEntry{Actor: a.ID, Action: "token.revoke", Reason: reason, Detail: json.RawMessage(fmt.Sprintf(`{"token":%q}`, id))}, nil
	})
	return err
}

// Fetch returns the deployed version of model for a serving component,
// after re-verifying its artifacts against the signed manifest: a mismatch
// quarantines it (ErrTampered) and nothing is served.
func (s *Service) Fetch(ctx context.Context, a Actor, model string) (*Version, error) {
	if err := a.Allow(RoleViewer, model); err != nil {
		return nil, err
	}
	v, err := s.deployed(ctx, model)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: %s has no deployed version", ErrNotFound, model)
	}
	if _, err := s.reverify(ctx, a, v); err != nil {
		return nil, err
	}
	return v, nil
}
