package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/modelward/modelward/internal/formdata"
	"github.com/modelward/modelward/registry"
)

// checkResult is the "check" half of a push response.
type checkResult struct {
	Verdict  string   `json:"verdict"`
	Findings int      `json:"findings"`
	Blocked  []string `json:"blocked"`
	Signer   string   `json:"signer,omitempty"`
}

type pushResponse struct {
	Version *registry.Version `json:"version"`
	Check   checkResult       `json:"check"`
}

// push streams a multipart body into the registry: each part goes to the
// blob store as it arrives; nothing is buffered beyond the multipart
// reader's own small buffer.
func (s *Server) push(w http.ResponseWriter, r *http.Request) error {
	m, err := allowed(r, publisher)
	if err != nil {
		return err
	}
	mr, err := s.multipartReader(w, r)
	if err != nil {
		return err
	}
	up := &upload{mr: mr, s: s, paths: registry.NewPathSet()}
	v, chk, err := s.svc.Push(r.Context(), actorFrom(r.Context()), m, up)
	if err != nil {
		return err
	}
	res := pushResponse{Version: v, Check: checkResult{Verdict: chk.Verdict, Findings: chk.Findings, Blocked: chk.Blocked, Signer: chk.Signer}}
	if res.Check.Blocked == nil {
		res.Check.Blocked = []string{}
	}
	return writeJSON(w, http.StatusCreated, res)
}

// multipartReader checks the media type and bounds the body.
func (s *Server) multipartReader(w http.ResponseWriter, r *http.Request) (*formdata.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, unsupported("push the model as multipart/form-data")
	}
	if params["boundary"] == "" {
		return nil, badRequest("the multipart body has no boundary")
	}
	if r.ContentLength > s.opt.MaxBodyBytes {
		return nil, tooLarge("the push is %d bytes; the server accepts %d", r.ContentLength, s.opt.MaxBodyBytes)
	}
	body := http.MaxBytesReader(w, idleReader{r.Body, http.NewResponseController(w)}, s.opt.MaxBodyBytes)
	// No bufio in front: formdata reads a part's large chunks (the blob
	// store's 1 MiB) straight from the body into the chunk, and buffers
	// only headers and small reads itself. MaxParts leaves the file count
	// to addFile (files, a signature, and one file over the limit), so that
	// it stays a 413 with its own wording.
	return formdata.NewReader(body, params["boundary"], formdata.Options{MaxParts: s.opt.MaxFiles + 2}), nil
}

// upload is a registry.Upload over multipart parts. It checks here what
// the service would otherwise refuse as a plain error (paths, duplicates,
// counts), so those come back as 400 rather than 500.
type upload struct {
	mr        *formdata.Reader
	s         *Server
	paths     *registry.PathSet
	files     int
	signature bool
	part      *formdata.Part
}

func (u *upload) Next() (registry.Part, error) {
	if u.part != nil {
		u.part.Close()
	}
	p, err := u.mr.NextPart()
	if err == io.EOF {
		return registry.Part{}, u.finish()
	}
	if err != nil {
		return registry.Part{}, readError(err)
	}
	u.part = p
	name, filename, err := disposition(p)
	if err != nil {
		return registry.Part{}, err
	}
	body := &partReader{r: p, limit: u.s.opt.MaxFileBytes}
	switch name {
	case "signature":
		if u.signature {
			return registry.Part{}, badRequest("the push holds two signature parts")
		}
		u.signature = true
		body.limit = min(body.limit, registry.MaxSignatureBytes)
		return registry.Part{PushFile: registry.PushFile{Body: body}, Signature: true}, nil
	case "file":
		if err := u.addFile(filename); err != nil {
			return registry.Part{}, err
		}
		return registry.Part{PushFile: registry.PushFile{Path: filename, Body: body}}, nil
	}
	return registry.Part{}, badRequest(`unexpected part %q: parts are named "file" or "signature"`, name)
}

// addFile checks one file part's path against the rules the service
// applies (registry.PathSet), and counts it.
func (u *upload) addFile(path string) error {
	if err := u.paths.Add(path); err != nil {
		return badRequest("%v", err)
	}
	u.files++
	if u.files > u.s.opt.MaxFiles {
		return tooLarge("the push holds more than %d files", u.s.opt.MaxFiles)
	}
	return nil
}

func (u *upload) finish() error {
	if u.files == 0 {
		return badRequest("the push holds no file part")
	}
	return io.EOF
}

// disposition reads a part's form name and its RAW filename parameter:
// the path keeps its directories.
func disposition(p *formdata.Part) (name, filename string, err error) {
	cd := p.Header.Get("Content-Disposition")
	typ, params, err := mime.ParseMediaType(cd)
	if err != nil || typ != "form-data" {
		return "", "", badRequest("a part has no valid form-data Content-Disposition")
	}
	name = params["name"]
	filename, ok := params["filename"]
	if name == "file" && (!ok || filename == "") {
		return "", "", badRequest(`a "file" part needs a filename (its path in the model)`)
	}
	return name, filename, nil
}

// partReader bounds one part and marks its read errors as the client's:
// a body cut short is a bad request, not a server failure.
type partReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n > p.limit {
		return n, tooLarge("a part exceeds %d bytes", p.limit)
	}
	if err != nil && err != io.EOF && !errors.Is(err, context.Canceled) {
		return n, readError(err)
	}
	return n, err
}

// idleTimeout bounds how long a streamed request or response may stall: a
// push or download has no overall deadline (it may be large), but a client
// that stops sending or reading is dropped.
const idleTimeout = 2 * time.Minute

// idleReader renews the connection's read deadline before every read.
type idleReader struct {
	r  io.ReadCloser
	rc *http.ResponseController
}

func (i idleReader) Close() error { return i.r.Close() }

func (i idleReader) Read(p []byte) (int, error) {
	_ = i.rc.SetReadDeadline(time.Now().Add(idleTimeout))
	return i.r.Read(p)
}

// idleWriter renews the connection's write deadline before every write.
type idleWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (i idleWriter) Write(p []byte) (int, error) {
	_ = i.rc.SetWriteDeadline(time.Now().Add(idleTimeout))
	return i.w.Write(p)
}
