package client

import (
	"context"
	"errors"
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
func (c *Client) Push(ctx context.Context, model, path, signature string, progress func(int64)) (*PushResult, error) {
	files, err := modelFiles(path, signature)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeParts(mw, files, signature, progress))
	}()
	var out PushResult
	_, err = c.send(ctx, http.MethodPost, modelPath(model)+"/versions", nil, pr, mw.FormDataContentType(), &out)
	pr.CloseWithError(errors.New("push ended")) // stops the writer if the server answered early
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

func writeParts(mw *multipart.Writer, files []localFile, signature string, progress func(int64)) error {
	var sent int64
	buf := make([]byte, 1<<20)
	add := func(name, filename, abs string) error {
		h := textproto.MIMEHeader{}
		params := map[string]string{"name": name}
		if filename != "" {
			params["filename"] = filename
		}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", params))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		f, err := os.Open(abs)
		if err != nil {
			return err
		}
		defer f.Close()
		// 1 MiB writes (os.File's WriteTo would copy 32 KiB at a time).
		n, err := io.CopyBuffer(w, struct{ io.Reader }{f}, buf)
		sent += n
		if progress != nil {
			progress(sent)
		}
		return err
	}
	for _, f := range files {
		if err := add("file", f.rel, f.abs); err != nil {
			return err
		}
	}
	if signature != "" {
		if err := add("signature", "model.sig", signature); err != nil {
			return err
		}
	}
	return mw.Close()
}
