package hubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// serveHub routes a hub request after the fault and auth checks.
func (s *Server) serveHub(w http.ResponseWriter, r *http.Request) {
	s.count()
	if s.fail() {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "injected failure", s.cfg.failStatus)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	segs, ok := splitEscaped(r.URL.EscapedPath())
	if !ok {
		hubError(w, http.StatusBadRequest, "", "bad path")
		return
	}
	if len(segs) > 0 && segs[0] == "api" {
		s.serveAPI(w, r, segs[1:])
		return
	}
	s.serveResolve(w, r, segs)
}

// authorized applies WithToken: 401 without a token, 404 for a wrong one.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok:
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Invalid username or password.")
		return false
	case got != s.cfg.token:
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return false
	}
	return true
}

// findRepo matches the leading segments of a path against the served
// repositories: kind is "models", "datasets" or "spaces" for the API, and
// "" for resolve URLs (where models have no prefix).
func (s *Server) findRepo(w http.ResponseWriter, api bool, segs []string) (*repo, []string) {
	for _, rp := range s.cfg.repos {
		kind, id := rp.kindAndID()
		want := strings.Split(id, "/")
		if api || kind != "models" {
			want = append([]string{kind}, want...)
		}
		if len(segs) > len(want) && equal(segs[:len(want)], want) {
			if s.cfg.gated[rp.id] {
				hubError(w, http.StatusForbidden, "GatedRepo",
					"Access to model "+rp.id+" is restricted. You must have access to it and be authenticated to access it.")
				return nil, nil
			}
			return rp, segs[len(want):]
		}
	}
	hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
	return nil, nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	rp, rest := s.findRepo(w, true, segs)
	if rp == nil {
		return
	}
	if len(rest) < 2 || (rest[0] != "revision" && rest[0] != "tree") {
		hubError(w, http.StatusNotFound, "", "Not found")
		return
	}
	if !rp.matchRev(rest[1]) {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rest[1])
		return
	}
	if rest[0] == "revision" {
		s.writeJSON(w, s.modelInfo(rp))
		return
	}
	s.serveTree(w, r, rp, rest[1])
}

type siblingJSON struct {
	RFilename string   `json:"rfilename"`
	Size      *int64   `json:"size,omitempty"`
	BlobID    string   `json:"blobId,omitempty"`
	LFS       *lfsJSON `json:"lfs,omitempty"`
}

type lfsJSON struct {
	SHA256      string `json:"sha256,omitempty"`
	OID         string `json:"oid,omitempty"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

type modelInfoJSON struct {
	ID           string        `json:"id"`
	ModelID      string        `json:"modelId"`
	SHA          string        `json:"sha"`
	Private      bool          `json:"private"`
	LastModified string        `json:"lastModified"`
	Siblings     []siblingJSON `json:"siblings"`
}

// modelInfo renders the model-info answer (as with ?blobs=true, unless
// WithoutSizes).
func (s *Server) modelInfo(rp *repo) modelInfoJSON {
	_, id := rp.kindAndID()
	mi := modelInfoJSON{ID: id, ModelID: id, SHA: rp.commit, Private: s.cfg.token != "",
		LastModified: "2024-01-01T00:00:00.000Z", Siblings: []siblingJSON{}}
	for _, f := range rp.files {
		sib := siblingJSON{RFilename: f.path}
		if !s.cfg.noSizes {
			size := f.size
			sib.Size, sib.BlobID = &size, f.blobID
			if f.lfs {
				sib.LFS = &lfsJSON{SHA256: f.sha256, Size: f.size, PointerSize: f.pointerSize}
			}
		}
		mi.Siblings = append(mi.Siblings, sib)
	}
	return mi
}

type treeEntryJSON struct {
	Type string   `json:"type"`
	OID  string   `json:"oid"`
	Size int64    `json:"size"`
	Path string   `json:"path"`
	LFS  *lfsJSON `json:"lfs,omitempty"`
}

// serveTree answers the recursive tree listing, one page per request,
// with a Link header to the next page.
func (s *Server) serveTree(w http.ResponseWriter, r *http.Request, rp *repo, rev string) {
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	if start < 0 || start > len(rp.files) {
		hubError(w, http.StatusBadRequest, "", "bad cursor")
		return
	}
	end := min(len(rp.files), start+s.cfg.pageSize)
	page := []treeEntryJSON{}
	for _, f := range rp.files[start:end] {
		e := treeEntryJSON{Type: "file", OID: f.blobID, Size: f.size, Path: f.path}
		if f.lfs {
			e.LFS = &lfsJSON{OID: f.sha256, Size: f.size, PointerSize: f.pointerSize}
		}
		page = append(page, e)
	}
	if end < len(rp.files) {
		next := *r.URL
		q := next.Query()
		q.Set("cursor", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, s.URL, next.RequestURI()))
	}
	s.writeJSON(w, page)
}

// serveResolve answers GET /{id}/resolve/{rev}/{path}: the content, or a
// redirect to the CDN for LFS files.
func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, segs []string) {
	rp, rest := s.findRepo(w, false, segs)
	if rp == nil {
		return
	}
	if len(rest) < 3 || rest[0] != "resolve" {
		hubError(w, http.StatusNotFound, "", "Not found")
		return
	}
	if !rp.matchRev(rest[1]) {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rest[1])
		return
	}
	f := rp.byPath[strings.Join(rest[2:], "/")]
	if f == nil {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	h := w.Header()
	h.Set("X-Repo-Commit", rp.commit)
	if !f.lfs {
		h.Set("ETag", `"`+f.blobID+`"`)
		s.serveFile(w, r, f)
		return
	}
	h.Set("X-Linked-Size", strconv.FormatInt(f.size, 10))
	h.Set("X-Linked-Etag", `"`+f.sha256+`"`)
	h.Set("ETag", `"`+f.sha256+`"`)
	q := url.Values{"sig": {s.secret}, "path": {f.path}}
	http.Redirect(w, r, s.CDNURL+"/blobs/"+f.sha256+"?"+q.Encode(), http.StatusFound)
}

// serveCDN serves LFS objects by sha256 to signed URLs, without a token.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	s.count()
	if r.Header.Get("Authorization") != "" {
		s.mu.Lock()
		s.cdnAuth++
		s.mu.Unlock()
	}
	if r.URL.Query().Get("sig") != s.secret {
		http.Error(w, "AccessDenied: bad signature", http.StatusForbidden)
		return
	}
	sha := strings.TrimPrefix(r.URL.Path, "/blobs/")
	for _, rp := range s.cfg.repos {
		for _, f := range rp.files {
			if f.lfs && f.sha256 == sha {
				w.Header().Set("ETag", `"`+sha+`"`)
				s.serveFile(w, r, f)
				return
			}
		}
	}
	http.Error(w, "NoSuchKey", http.StatusNotFound)
}

// serveFile writes the content with Range support (206, 416), or the whole
// file under WithIgnoreRange, counting the bytes written.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, f *file) {
	fh, err := os.Open(f.abs)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer fh.Close()
	if s.cfg.ignoreRange {
		r.Header.Del("Range")
	}
	cw := &countingWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, fh)
	s.served(f.path, cw.n)
}

// countingWriter counts the body bytes of content answers (200, 206), not
// of error messages.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	if c.status == 0 || c.status == http.StatusOK || c.status == http.StatusPartialContent {
		c.n += int64(n)
	}
	return n, err
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// hubError answers like the hub: X-Error-Code and X-Error-Message headers
// and a JSON {"error": ...} body.
func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// splitEscaped splits an escaped URL path into unescaped segments, so an
// escaped '/' (as in the revision "refs%2Fpr%2F1") stays in its segment.
func splitEscaped(p string) ([]string, bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, part := range parts {
		u, err := url.PathUnescape(part)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
