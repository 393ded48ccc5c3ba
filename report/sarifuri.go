package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/modelward/modelward/finding"
)

// uriRoot turns file paths into SARIF artifact locations: relative to the
// root (uriBaseId %SRCROOT%) when the file is under it, so results match
// the repository checkout GitHub maps them to; an absolute file: URI when
// it is not.
type uriRoot struct {
	abs      string // absolute root; empty when it could not be resolved
	explicit bool   // the root came from Options.BaseDir
}

func newURIRoot(base string) uriRoot {
	dir := base
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return uriRoot{}
	}
	return uriRoot{abs: abs, explicit: base != ""}
}

func (r uriRoot) artifact(path string) sarifArtifactLocation {
	if rel, ok := r.rel(path); ok {
		return sarifArtifactLocation{URI: escapePath(rel), URIBaseID: srcRoot}
	}
	if abs, err := filepath.Abs(path); err == nil {
		return sarifArtifactLocation{URI: fileURI(abs)}
	}
	return sarifArtifactLocation{URI: escapePath(filepath.ToSlash(path))}
}

// rel returns path relative to the root, in slash form, when it lies
// under the root.
func (r uriRoot) rel(path string) (string, bool) {
	if r.abs == "" {
		return "", false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(r.abs, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// baseURI is the absolute URI of %SRCROOT%, given only when the caller
// chose the root: the current directory is not worth leaking into reports.
func (r uriRoot) baseURI() string {
	if !r.explicit || r.abs == "" {
		return ""
	}
	u := fileURI(r.abs)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// fileURI renders an absolute path as a file: URI ("C:/x" becomes
// "file:///C:/x").
func fileURI(abs string) string {
	vol := filepath.VolumeName(abs)
	rest := filepath.ToSlash(abs[len(vol):])
	if vol != "" {
		return "file:///" + filepath.ToSlash(vol) + escapePath(rest)
	}
	return "file://" + escapePath(rest)
}

// escapePath percent-encodes every byte of a slash path except unreserved
// characters and "/". Over-escaping is always valid in a URI, and it keeps
// "#", "?", ":" and "%" in file names from changing the URI's meaning.
// Non-ASCII names are encoded as UTF-8 bytes, as RFC 3986 asks.
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// fingerprintKey names modelward's partial fingerprint; the version suffix
// lets the recipe change without colliding with old alerts.
const fingerprintKey = "modelwardFinding/v1"

// fingerprint identifies a finding across runs: rule, file (as its SARIF
// URI, so it does not depend on where the checkout lives), member chain and
// evidence. The offset and message are left out on purpose: re-saving a
// model moves opcodes and rewording a message must not reopen an alert.
func fingerprint(fd finding.Finding, uri string) string {
	e := fd.Evidence
	// JSON encoding of a list of strings is unambiguous, unlike joining
	// with a separator that hostile names could contain.
	key, _ := json.Marshal([]any{fd.Rule, uri, nonNil(fd.Location.Member), e.Import, e.Call, nonNil(e.Args), e.Detail})
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])
}
