package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
)

func (s *Server) bom(w http.ResponseWriter, r *http.Request) error {
	return s.artifact(w, r, "application/vnd.cyclonedx+json", "AI-BOM", func(v *registry.Version) string { return v.BOM })
}

func (s *Server) scanReport(w http.ResponseWriter, r *http.Request) error {
	return s.artifact(w, r, "application/json", "scan report", func(v *registry.Version) string { return v.ScanReport })
}

func (s *Server) signature(w http.ResponseWriter, r *http.Request) error {
	return s.artifact(w, r, "application/json", "signature", func(v *registry.Version) string { return v.Signature })
}

// artifact serves one of a version's stored documents (AI-BOM, scan
// report, signature bundle) by the digest the version records.
func (s *Server) artifact(w http.ResponseWriter, r *http.Request, ctype, what string, pick func(*registry.Version) string) error {
	m, n, err := versionAllowed(r, viewer)
	if err != nil {
		return err
	}
	v, err := s.svc.Store().Version(r.Context(), m, n)
	if err != nil {
		return err
	}
	d := pick(v)
	if d == "" {
		return notFound("%s@%d has no %s", m, n, what)
	}
	return s.serveBlob(w, r, d, ctype, "")
}

// file serves one file of the deployed version, and only after the whole
// version has been re-verified against its signed manifest (svc.Fetch):
// a tampered version is quarantined and nothing is served.
func (s *Server) file(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, viewer)
	if err != nil {
		return err
	}
	name := r.PathValue("path")
	v, err := s.svc.Fetch(r.Context(), actorFrom(r.Context()), m)
	if err != nil {
		return err
	}
	if v.Number != n {
		return fmt.Errorf("%w: %s@%d is not the deployed version (%d is); only the deployed version's files are served", registry.ErrConflict, m, n, v.Number)
	}
	for _, f := range v.Files {
		if f.Path == name {
			return s.serveBlob(w, r, f.Digest, "application/octet-stream", f.Path)
		}
	}
	return notFound("%s@%d has no file %q", m, n, name)
}

// serveBlob streams a blob with its length and its digest as ETag,
// hashing it as it goes and holding the last chunk back until the digest
// checks out: a blob changed on disk after the version was re-verified is
// cut short (the client sees a truncated body, never the whole changed
// file) and re-verification is triggered, which quarantines the version.
// Ranges are not served, since a part cannot be checked alone.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, digest, ctype, name string) error {
	f, err := s.svc.Blobs().Open(digest)
	if err != nil {
		return err // a recorded blob missing from disk is internal
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := w.Header()
	etag := `"` + digest + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	if name != "" {
		base := path.Base(name)
		if name == "." {
			base = "model.bin"
		}
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": base}))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if err := copyVerified(idleWriter{w, http.NewResponseController(w)}, f, digest); err != nil {
		s.log.Error("download stopped", "blob", digest, "err", err)
		if errors.Is(err, blob.ErrCorrupt) {
			// Re-verification finds the change and quarantines the version.
			_, _ = s.svc.Fetch(context.WithoutCancel(r.Context()), actorFrom(r.Context()), r.PathValue("model"))
		}
		panic(http.ErrAbortHandler) // the status is sent: cut the connection
	}
	return nil
}

// copyVerified copies src to w, hashing it, and writes the final chunk
// only once the whole content hashes to digest.
func copyVerified(w io.Writer, src io.Reader, digest string) error {
	hsh := sha256.New()
	cur, next := make([]byte, 1<<20), make([]byte, 1<<20)
	n, err := io.ReadFull(src, cur)
	for err == nil {
		var m int
		m, err = io.ReadFull(src, next)
		if m == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			break // cur is the last chunk
		}
		hsh.Write(cur[:n])
		if _, werr := w.Write(cur[:n]); werr != nil {
			return werr
		}
		cur, next, n = next, cur, m
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	hsh.Write(cur[:n])
	if got := hex.EncodeToString(hsh.Sum(nil)); got != digest {
		return fmt.Errorf("%w: %s now hashes to %s", blob.ErrCorrupt, digest, got)
	}
	_, err = w.Write(cur[:n])
	return err
}
