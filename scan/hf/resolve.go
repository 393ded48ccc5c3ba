package hf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// File is one file of a resolved repository.
type File struct {
	Path   string // repository-relative, slash-separated, validated
	Size   int64  // bytes of the content (of the LFS object for LFS files)
	LFS    bool
	SHA256 string // the LFS object id (sha256 of the content), "" for files in git
}

// Repo is a repository pinned to one commit.
type Repo struct {
	Ref    Ref
	Commit string
	Files  []File // sorted by Path
}

const (
	// MaxFiles bounds the files of one repository: the largest public
	// repositories have tens of thousands.
	MaxFiles = 100_000
	// maxInfoBytes bounds one JSON answer (model info or a tree page).
	maxInfoBytes = 32 << 20
	maxTreePages = 10_000
	// maxFileSize rejects sizes no real file has (1 PiB): a size is used
	// for range arithmetic and must not overflow it.
	maxFileSize = 1 << 50
)

// Resolve asks the hub which commit ref's revision points to and which files
// that commit has, with their sizes. The model-info answer normally carries
// the sizes (blobs=true); when it does not, the recursive tree listing of the
// pinned commit is read instead. Each request is bounded by
// Client.RequestTimeout and the whole by Client.ResolveTimeout; running out
// of either fails with an error matching ErrTimeout.
func (c *Client) Resolve(ctx context.Context, ref Ref) (*Repo, error) {
	if err := ref.validate(); err != nil {
		return nil, fmt.Errorf("hf: %s: %w", ref, err)
	}
	d := c.resolveTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, d, &timeoutError{what: "resolving the repository", d: d, field: "ResolveTimeout"})
	defer cancel()
	kind, id := splitRepo(ref.Repo)
	u := fmt.Sprintf("%s/api/%s/%s/revision/%s?blobs=true", c.endpoint(), kind, id, urlPathEscape(ref.rev()))
	body, _, err := c.getJSON(ctx, request{url: u, what: ref.String()})
	if err != nil {
		return nil, err
	}
	info, err := parseModelInfo(body)
	if err != nil {
		return nil, fmt.Errorf("hf: %s: model info: %w", ref, err)
	}
	if isCommitHash(ref.Revision) && info.Commit != ref.Revision {
		return nil, fmt.Errorf("hf: %s: the hub answered for commit %s", ref, info.Commit)
	}
	files := info.Files
	if !info.SizesComplete {
		if files, err = c.listTree(ctx, ref, info.Commit); err != nil {
			return nil, err
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return &Repo{Ref: ref, Commit: info.Commit, Files: files}, nil
}

// getJSON fetches a JSON answer into memory, refusing more than
// maxInfoBytes, and returns it with the answer's headers. Each try, reading
// the body included, is bounded by the client's RequestTimeout.
func (c *Client) getJSON(ctx context.Context, r request) ([]byte, http.Header, error) {
	r.timeout = c.requestTimeout()
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := readJSONBody(resp, r.what)
	return body, resp.Header, err
}

func readJSONBody(resp *http.Response, what string) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("hf: %s: unexpected status %d for a JSON answer", what, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInfoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hf: %s: %w", what, err)
	}
	if len(body) > maxInfoBytes {
		return nil, fmt.Errorf("hf: %s: answer larger than %d bytes: %w", what, maxInfoBytes, ErrLimit)
	}
	return body, nil
}

// modelInfo is what Resolve keeps of the model-info answer.
type modelInfo struct {
	ID            string
	Commit        string
	Files         []File
	SizesComplete bool // every sibling had a size
}

type sibling struct {
	RFilename string   `json:"rfilename"`
	Size      *int64   `json:"size"`
	LFS       *lfsMeta `json:"lfs"`
}

// lfsMeta is the "lfs" object of a sibling (sha256) or a tree entry (oid).
type lfsMeta struct {
	SHA256 string `json:"sha256"`
	OID    string `json:"oid"`
	Size   *int64 `json:"size"`
}

// parseModelInfo reads the model-info JSON. Siblings are decoded one at a
// time so that a hostile answer of millions of tiny entries is stopped at
// MaxFiles instead of being allocated first.
func parseModelInfo(data []byte) (*modelInfo, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	info := &modelInfo{}
	seen := map[string]bool{}
	sizes := true
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "id":
			err = dec.Decode(&info.ID)
		case "sha":
			err = dec.Decode(&info.Commit)
		case "siblings":
			// Only a listed siblings array counts as complete: an answer
			// without one must not read as an empty repository.
			info.SizesComplete = true
			err = decodeArray(dec, func() error { return info.addSibling(dec, seen, &sizes) })
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("%v: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	info.SizesComplete = info.SizesComplete && sizes
	return info, info.check()
}

func (info *modelInfo) check() error {
	if !isCommitHash(info.Commit) {
		return fmt.Errorf("commit %q is not a commit hash", clean(info.Commit, 80))
	}
	if info.ID != "" {
		if err := validRepoID(info.ID); err != nil {
			return fmt.Errorf("id %q: %w", clean(info.ID, 120), err)
		}
	}
	return nil
}

func (info *modelInfo) addSibling(dec *json.Decoder, seen map[string]bool, sizes *bool) error {
	if len(info.Files) >= MaxFiles {
		return fmt.Errorf("more than %d files: %w", MaxFiles, ErrLimit)
	}
	var s sibling
	if err := dec.Decode(&s); err != nil {
		return err
	}
	f, sized, err := makeFile(s.RFilename, s.Size, s.LFS, seen)
	if err != nil {
		return err
	}
	*sizes = *sizes && sized
	info.Files = append(info.Files, f)
	return nil
}

// makeFile validates one listed file. sized is false when the listing gave
// no size (the caller then needs the tree listing).
func makeFile(path string, size *int64, lfs *lfsMeta, seen map[string]bool) (f File, sized bool, err error) {
	if err := validRepoPath(path); err != nil {
		return File{}, false, err
	}
	if seen[path] {
		return File{}, false, fmt.Errorf("file %q listed twice", path)
	}
	seen[path] = true
	f = File{Path: path, Size: -1}
	if lfs != nil {
		f.LFS = true
		if f.SHA256 = lfs.SHA256; f.SHA256 == "" {
			f.SHA256 = lfs.OID
		}
		if len(f.SHA256) != 64 || !isLowerHex(f.SHA256) {
			return File{}, false, fmt.Errorf("file %q: LFS object id %q is not a sha256", path, clean(f.SHA256, 80))
		}
		if lfs.Size != nil {
			if size != nil && *size != *lfs.Size {
				return File{}, false, fmt.Errorf("file %q: size %d but LFS size %d", path, *size, *lfs.Size)
			}
			size = lfs.Size
		}
	}
	if size == nil {
		return f, false, nil
	}
	if *size < 0 || *size > maxFileSize {
		return File{}, false, fmt.Errorf("file %q: implausible size %d", path, *size)
	}
	f.Size = *size
	return f, true, nil
}

// listTree reads the recursive tree of the pinned commit, page by page.
// Only links to the endpoint's own scheme and host are followed: the token
// goes with each page request.
func (c *Client) listTree(ctx context.Context, ref Ref, commit string) ([]File, error) {
	kind, id := splitRepo(ref.Repo)
	next := fmt.Sprintf("%s/api/%s/%s/tree/%s?recursive=true", c.endpoint(), kind, id, commit)
	var files []File
	seen := map[string]bool{}
	for page := 0; next != ""; page++ {
		if page >= maxTreePages {
			return nil, fmt.Errorf("hf: %s: more than %d tree pages: %w", ref, maxTreePages, ErrLimit)
		}
		body, header, err := c.getJSON(ctx, request{url: next, what: ref.String() + " (file list)"})
		if err != nil {
			return nil, err
		}
		link := header.Get("Link")
		if files, err = parseTreePage(body, files, seen); err != nil {
			return nil, fmt.Errorf("hf: %s: file list: %w", ref, err)
		}
		if next, err = c.nextPage(next, link); err != nil {
			return nil, fmt.Errorf("hf: %s: file list: %w", ref, err)
		}
	}
	return files, nil
}

type treeEntry struct {
	Type string   `json:"type"`
	Path string   `json:"path"`
	Size *int64   `json:"size"`
	LFS  *lfsMeta `json:"lfs"`
}

// parseTreePage appends the files of one page of the tree listing.
func parseTreePage(data []byte, files []File, seen map[string]bool) ([]File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	err := decodeArray(dec, func() error {
		if len(files) >= MaxFiles {
			return fmt.Errorf("more than %d files: %w", MaxFiles, ErrLimit)
		}
		var e treeEntry
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if e.Type != "file" {
			return nil
		}
		f, sized, err := makeFile(e.Path, e.Size, e.LFS, seen)
		if err == nil && !sized {
			err = fmt.Errorf("file %q has no size", e.Path)
		}
		files = append(files, f)
		return err
	})
	return files, err
}

// nextPage finds rel="next" in a Link header (RFC 8288) and checks that it
// stays on the endpoint.
func (c *Client) nextPage(current, link string) (string, error) {
	target := ""
	for _, part := range strings.Split(link, ",") {
		u, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(u, "<") || !strings.HasSuffix(u, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "rel") &&
				strings.Trim(v, `"`) == "next" {
				target = u[1 : len(u)-1]
			}
		}
	}
	if target == "" {
		return "", nil
	}
	base, _ := url.Parse(current)
	next, err := base.Parse(target)
	if err != nil {
		return "", fmt.Errorf("bad next-page link: %w", err)
	}
	ep, _ := url.Parse(c.endpoint())
	if next.Scheme != ep.Scheme || !strings.EqualFold(next.Host, ep.Host) {
		return "", fmt.Errorf("next-page link leaves the endpoint (%s)", clean(next.Host, 100))
	}
	return next.String(), nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

// decodeArray calls each for every element of the array the decoder is at.
func decodeArray(dec *json.Decoder, each func() error) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if err := each(); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

// urlPathEscape escapes one path segment (a revision like "refs/pr/1" is one
// segment to the hub, so '/' is escaped too).
func urlPathEscape(s string) string { return url.PathEscape(s) }
