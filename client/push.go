package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/sign/manifest"
)

// PushResult is the server's answer to a push.
type PushResult struct {
	Version *registry.Version `json:"version"`
	Check   struct {
		Verdict  string   `json:"verdict"`
		Findings int      `json:"findings"`
		Blocked  []string `json:"blocked"`
		Signer   string   `json:"signer"`
	} `json:"check"`
}

// Push uploads the model at path (a folder or one file) with its signature
// file (empty: none) as a new version of model. The body is streamed
// (multipart, one part per file), so the model is never held in memory;
// progress, when set, is called with the bytes sent so far.
//
// The multipart framing is computed up front, so the request carries a
// Content-Length: no chunked encoding on the wire, and the server reads the
// files in large reads rather than chunk by chunk.
func (c *Client) Push(ctx context.Context, model, path, signature string, progress func(int64)) (*PushResult, error) {
	files, err := modelFiles(path, signature)
	if err != nil {
		return nil, err
	}
	body, ctype, err := newPushBody(files, signature, progress)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var out PushResult
	_, err = c.send(ctx, http.MethodPost, modelPath(model)+"/versions", nil, body, ctype, &out)
	return &out, err
}

type localFile struct{ rel, abs string }

// modelFiles lists what a signature covers: every regular file but the
// default ignored paths (.git, ...) and the signature itself.
func modelFiles(root, signature string) ([]localFile, error) {
	st, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() {
		return []localFile{{".", root}}, nil
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is neither a folder nor a regular file", root)
	}
	sigAbs, _ := filepath.Abs(signature)
	var out []localFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if top, _, _ := strings.Cut(rel, "/"); slices.Contains(manifest.DefaultIgnorePaths, top) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: push the file it points to instead", rel)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		}
		if abs, _ := filepath.Abs(p); abs == sigAbs {
			return nil
		}
		out = append(out, localFile{rel, p})
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s holds no files", root)
	}
	return out, err
}

// pushBody is the multipart body of a push, read part by part: each
// part's framing (computed by mime/multipart) then the file's bytes, read
// from the file only when the body gets there. Its size is known before the
// first byte is sent, and files that change size meanwhile fail the push.
type pushBody struct {
	// mu guards everything below: net/http may still be reading the body
	// on its own goroutine when Push returns (the server answered early)
	// and closes it.
	mu       sync.Mutex
	closed   bool
	segs     []segment
	size     int64
	cur      int
	open     *os.File
	left     int64 // bytes of the open file still to send
	sent     int64
	progress func(int64)
}

// segment is framing bytes, or a file of a known size.
type segment struct {
	frame []byte
	path  string
	size  int64
}

func newPushBody(files []localFile, signature string, progress func(int64)) (*pushBody, string, error) {
	var frame bytes.Buffer
	mw := multipart.NewWriter(&frame)
	b := &pushBody{progress: progress}
	add := func(name, filename, abs string) error {
		st, err := os.Stat(abs)
		if err != nil {
			return err
		}
		h := textproto.MIMEHeader{}
		params := map[string]string{"name": name}
		if filename != "" {
			params["filename"] = filename
		}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", params))
		h.Set("Content-Type", "application/octet-stream")
		if _, err := mw.CreatePart(h); err != nil {
			return err
		}
		b.push(segment{frame: bytes.Clone(frame.Bytes())})
		frame.Reset()
		b.push(segment{path: abs, size: st.Size()})
		return nil
	}
	for _, f := range files {
		if err := add("file", f.rel, f.abs); err != nil {
			return nil, "", err
		}
	}
	if signature != "" {
		if err := add("signature", "model.sig", signature); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	b.push(segment{frame: bytes.Clone(frame.Bytes())})
	return b, mw.FormDataContentType(), nil
}

func (b *pushBody) push(s segment) {
	b.segs = append(b.segs, s)
	b.size += int64(len(s.frame)) + s.size
}

// Size is the body's length, for the Content-Length.
func (b *pushBody) Size() int64 { return b.size }

// Read serves the segments in turn.
func (b *pushBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, os.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for b.cur < len(b.segs) {
		s := &b.segs[b.cur]
		if s.path == "" {
			if len(s.frame) == 0 {
				b.cur++
				continue
			}
			n := copy(p, s.frame)
			s.frame = s.frame[n:]
			return n, nil
		}
		n, err := b.readFile(s, p)
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.EOF
}

// readFile reads the current file segment, opening it on first use and
// moving on once its announced size is sent.
func (b *pushBody) readFile(s *segment, p []byte) (int, error) {
	if b.open == nil {
		f, err := os.Open(s.path)
		if err != nil {
			return 0, err
		}
		b.open, b.left = f, s.size
	}
	if b.left == 0 {
		var one [1]byte
		if n, _ := b.open.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%s grew while it was being pushed", s.path)
		}
		b.open.Close()
		b.open = nil
		b.cur++
		return 0, nil
	}
	n, err := b.open.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	b.sent += int64(n)
	if b.progress != nil && n > 0 {
		b.progress(b.sent)
	}
	if err == io.EOF && b.left > 0 {
		return n, fmt.Errorf("%s shrank while it was being pushed", s.path)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// Close closes the file being sent, if any; later reads fail.
func (b *pushBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.open != nil {
		err := b.open.Close()
		b.open = nil
		return err
	}
	return nil
}
