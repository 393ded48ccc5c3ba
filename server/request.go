package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/modelward/modelward/registry"
)

// modelParam is the {model} segment, unescaped by the mux and checked
// against the registry's naming rule (so "..", NUL or more than one "/"
// never reach the registry).
func modelParam(r *http.Request) (string, error) {
	m := r.PathValue("model")
	if err := registry.ValidModelName(m); err != nil {
		return "", badRequest("%v", err)
	}
	return m, nil
}

// numberParam is the {n} segment: a positive decimal integer, nothing else.
func numberParam(r *http.Request) (int64, error) {
	s := r.PathValue("n")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, badRequest("invalid version number %q: use a positive integer", s)
	}
	return n, nil
}

// allowed authorises the actor for role on the model of the path and
// returns the model: authorisation comes before any lookup, so a 404 never
// tells a caller without access that a model exists.
func allowed(r *http.Request, role registry.Role) (string, error) {
	m, err := modelParam(r)
	if err != nil {
		return "", err
	}
	if err := actorFrom(r.Context()).Allow(role, m); err != nil {
		return "", err
	}
	return m, nil
}

// versionAllowed is allowed plus the version number.
func versionAllowed(r *http.Request, role registry.Role) (string, int64, error) {
	m, err := allowed(r, role)
	if err != nil {
		return "", 0, err
	}
	n, err := numberParam(r)
	return m, n, err
}

// decodeJSON reads a JSON body of at most maxJSONBytes into v, refusing
// unknown fields and trailing data. An empty body is allowed when optional.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return unsupported("send the body as application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		return readError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("the request needs a JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("invalid JSON body: data after the JSON value")
	}
	return nil
}

// readError classifies a failure reading the request body: too large, or
// cut short (the client's fault either way).
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("reading the request body: %v", err)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	if err != nil {
		return errWritten
	}
	return nil
}

// errWritten: the response has started; nothing more can be said.
var errWritten = errors.New("response already written")

// list is the body of every listing.
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// pageParam reads ?limit and ?after.
func pageParam(r *http.Request) (registry.Page, error) {
	q := r.URL.Query()
	p := registry.Page{Limit: 100, After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return p, badRequest("invalid limit %q: use a positive integer", l)
		}
		p.Limit = min(n, registry.MaxPageSize)
	}
	return p, nil
}

// writeList answers with one page and, when there is a next one, its
// link.
func writeList[T any](w http.ResponseWriter, r *http.Request, p registry.Page, items []T, next string) error {
	if items == nil {
		items = []T{}
	}
	if next != "" {
		q := url.Values{"limit": {strconv.Itoa(p.Limit)}, "after": {next}}
		w.Header().Set("Link", "<"+r.URL.EscapedPath()+"?"+q.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, http.StatusOK, list[T]{Items: items, Next: next})
}

// cursorError turns a store's refusal of a cursor from the client into a
// bad request.
func cursorError(_ registry.Page, err error) error {
	if errors.Is(err, registry.ErrBadCursor) {
		return badRequest("%v", err)
	}
	return err
}
