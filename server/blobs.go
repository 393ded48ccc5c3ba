package server

import (
	"fmt"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/modelward/modelward/registry"
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

// serveBlob streams a blob with its length and its digest as ETag
// (ServeContent also answers If-None-Match, HEAD and ranges).
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, digest, ctype, name string) error {
	f, err := s.svc.Blobs().Open(digest)
	if err != nil {
		return err // a recorded blob missing from disk is internal
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", `"`+digest+`"`)
	if name != "" {
		base := path.Base(name)
		if name == "." {
			base = "model.bin"
		}
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": base}))
	}
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
