package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/blob"
)

// problemBase prefixes every problem type.
const problemBase = "https://modelward.dev/problems/"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Seq names the audit entry where the chain breaks (audit-broken).
	Seq int64 `json:"seq,omitempty"`
}

// requestError is a fault in what the client sent: its message is safe and
// useful to return.
type requestError struct {
	status int
	slug   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &requestError{http.StatusBadRequest, "invalid-request", fmt.Sprintf(format, a...)}
}

func tooLarge(format string, a ...any) error {
	return &requestError{http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf(format, a...)}
}

func unsupported(format string, a ...any) error {
	return &requestError{http.StatusUnsupportedMediaType, "unsupported-media-type", fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{registry.ErrNotFound}, a...)...)
}

// classify maps an error to its status, slug and the detail the client
// may see. Registry errors carry messages written for the user (the gate
// that refused, the state it is in); anything unrecognised is internal
// and its text stays in the log.
func classify(err error) (int, string, string) {
	var re *requestError
	var mbe *http.MaxBytesError
	var ce *registry.ChainError
	switch {
	case errors.As(err, &re):
		return re.status, re.slug, re.msg
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the request body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, blob.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too-large", "a part of the upload exceeds its size limit"
	case errors.Is(err, registry.ErrInvalidUpload):
		return http.StatusBadRequest, "invalid-request", err.Error()
	case errors.Is(err, registry.ErrUnauthenticated):
		return http.StatusUnauthorized, "unauthenticated", "a valid bearer token is required"
	case errors.Is(err, registry.ErrForbidden):
		return http.StatusForbidden, "forbidden", err.Error()
	case errors.Is(err, registry.ErrNotFound):
		return http.StatusNotFound, "not-found", err.Error()
	case errors.Is(err, registry.ErrTampered):
		return http.StatusConflict, "tampered", err.Error()
	case errors.Is(err, registry.ErrIllegalTransition):
		return http.StatusConflict, "illegal-transition", err.Error()
	case errors.Is(err, registry.ErrBlocked):
		return http.StatusConflict, "blocked", err.Error()
	case errors.As(err, &ce):
		return http.StatusConflict, "audit-broken", ce.Error()
	case errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, "conflict", err.Error()
	}
	return http.StatusInternalServerError, "internal", "the server could not complete the request; the error is in its log"
}

// statusClientClosed is logged for requests whose client left first.
const statusClientClosed = 499

// fail answers with the problem err maps to.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, slug, detail := classify(err)
	switch {
	case status == http.StatusInternalServerError && errors.Is(r.Context().Err(), context.Canceled):
		// The client went away; nobody reads the answer. 499 (as nginx
		// logs it) keeps these out of the server-error counts.
		s.log.Info("request cancelled", "path", safePath(r), "err", err)
		w.WriteHeader(statusClientClosed)
		return
	case status == http.StatusInternalServerError:
		s.log.Error("request failed", "method", r.Method, "path", safePath(r), "err", err)
	default:
		s.log.Debug("request refused", "path", safePath(r), "status", status, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="modelward"`)
	}
	p := Problem{Type: problemBase + slug, Title: titles[slug], Status: status, Detail: detail, Instance: safePath(r)}
	var ce *registry.ChainError
	if errors.As(err, &ce) {
		p.Seq = ce.Seq
	}
	s.writeProblem(w, p)
}

// problem answers with a problem built from its parts.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	s.writeProblem(w, Problem{Type: problemBase + slug, Title: titles[slug], Status: status, Detail: detail, Instance: safePath(r)})
}

func (s *Server) writeProblem(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Del("Content-Length")
	w.Header().Del("ETag")
	w.WriteHeader(p.Status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.log.Debug("writing a problem", "err", err)
	}
}

var titles = map[string]string{
	"unauthenticated":        "Authentication required",
	"forbidden":              "Not allowed",
	"not-found":              "Not found",
	"method-not-allowed":     "Method not allowed",
	"illegal-transition":     "Not a lifecycle step",
	"blocked":                "Refused by a policy gate",
	"tampered":               "Artifacts were tampered with",
	"conflict":               "Conflict",
	"audit-broken":           "The audit log is broken",
	"invalid-request":        "Invalid request",
	"too-large":              "Request too large",
	"unsupported-media-type": "Unsupported media type",
	"internal":               "Internal error",
}
