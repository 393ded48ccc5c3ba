package hf

import (
	"errors"
	"fmt"
	"strings"
)

// Scheme is the prefix of a remote repository reference.
const Scheme = "hf://"

// Ref names a remote repository and a revision. Repo is "org/name", "name"
// for legacy repositories without an organisation, or "datasets/org/name"
// and "spaces/org/name" for the other repository types.
type Ref struct {
	Repo, Revision string // Revision "" = "main"
}

// String renders the reference as ParseRef reads it.
func (r Ref) String() string {
	if r.Revision == "" {
		return Scheme + r.Repo
	}
	return Scheme + r.Repo + "@" + r.Revision
}

// rev is the revision to ask the hub for.
func (r Ref) rev() string {
	if r.Revision == "" {
		return "main"
	}
	return r.Revision
}

// IsRef reports whether s has the hf:// prefix, i.e. whether the caller
// should treat it as a remote reference rather than a local path.
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseRef parses "hf://org/name", "hf://org/name@rev", "hf://name" (legacy
// repositories without an organisation) and the same with a "datasets/" or
// "spaces/" type prefix ("models/" is accepted and dropped). Names and
// revisions that the hub would refuse are rejected here, before any request.
func ParseRef(s string) (Ref, error) {
	if !IsRef(s) {
		return Ref{}, fmt.Errorf("hf: %q is not a Hugging Face reference (want hf://org/name[@revision])", s)
	}
	rest := strings.TrimPrefix(s, Scheme)
	var ref Ref
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		ref.Revision = rest[i+1:]
		if ref.Revision == "" {
			return Ref{}, fmt.Errorf("hf: %q: empty revision after '@'", s)
		}
		rest = rest[:i]
	}
	ref.Repo = strings.TrimPrefix(rest, "models/")
	if err := ref.validate(); err != nil {
		return Ref{}, fmt.Errorf("hf: %q: %w", s, err)
	}
	return ref, nil
}

// validate checks the repository name and revision.
func (r Ref) validate() error {
	if err := validRepoID(r.Repo); err != nil {
		return err
	}
	if r.Revision != "" {
		return validRevision(r.Revision)
	}
	return nil
}

// splitRepo separates the repository type ("models", "datasets", "spaces")
// from the id ("org/name" or "name").
func splitRepo(repo string) (kind, id string) {
	for _, k := range []string{"datasets", "spaces"} {
		if rest, ok := strings.CutPrefix(repo, k+"/"); ok {
			return k, rest
		}
	}
	return "models", repo
}

const maxNameLen = 96

// validRepoID applies the hub's naming rules (huggingface_hub
// validate_repo_id): one optional namespace and a name, each made of
// letters, digits, '-', '_' and '.', not starting or ending with '-' or '.',
// without "--" or "..", at most 96 characters.
func validRepoID(repo string) error {
	_, id := splitRepo(repo)
	parts := strings.Split(id, "/")
	if id == "" || len(parts) > 2 {
		return errors.New("repository must be org/name or name")
	}
	for _, p := range parts {
		if err := validNamePart(p); err != nil {
			return fmt.Errorf("repository name %q: %w", id, err)
		}
	}
	return nil
}

func validNamePart(p string) error {
	switch {
	case p == "" || len(p) > maxNameLen:
		return fmt.Errorf("each part must have 1 to %d characters", maxNameLen)
	case strings.Contains(p, "--") || strings.Contains(p, ".."):
		return errors.New(`"--" and ".." are not allowed`)
	case strings.ContainsAny(p[:1], "-.") || strings.ContainsAny(p[len(p)-1:], "-."):
		return errors.New("a part cannot start or end with '-' or '.'")
	case strings.HasSuffix(p, ".git"):
		return errors.New(`a name cannot end with ".git"`)
	}
	for i := 0; i < len(p); i++ {
		if !nameByte(p[i]) {
			return fmt.Errorf("character %q is not allowed", p[i])
		}
	}
	return nil
}

func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		b == '-' || b == '_' || b == '.'
}

const maxRevisionLen = 255

// validRevision accepts branch and tag names, commit hashes and the hub's
// pull-request refs ("refs/pr/1"). It is stricter than git: no character
// that could change the meaning of a URL or a terminal line gets through.
func validRevision(rev string) error {
	if len(rev) > maxRevisionLen {
		return fmt.Errorf("revision longer than %d characters", maxRevisionLen)
	}
	for i := 0; i < len(rev); i++ {
		if b := rev[i]; !nameByte(b) && b != '/' && b != '+' {
			return fmt.Errorf("revision %q: character %q is not allowed", rev, b)
		}
	}
	for _, seg := range strings.Split(rev, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return fmt.Errorf("revision %q: empty or dot path segment", rev)
		}
	}
	if strings.Contains(rev, "..") || strings.HasSuffix(rev, ".lock") {
		return fmt.Errorf("revision %q is not a valid git reference", rev)
	}
	return nil
}

// isCommitHash reports whether s is a full git commit hash (SHA-1, or
// SHA-256 for repositories in the newer object format).
func isCommitHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return isLowerHex(s)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}
