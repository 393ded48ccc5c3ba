package hf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// ErrLimit marks an error caused by one of this package's bounds (answer
// size, file count, pages, walk depth): the caller reports it as a limit
// reached, not as a broken repository.
var ErrLimit = errors.New("limit reached")

// ErrNoRange is returned when a server answers a range request with the
// whole file and the wanted bytes are too far in to skip to.
var ErrNoRange = errors.New("server ignored the Range header")

// ErrTimeout marks a request, or a whole Resolve, that took longer than its
// bound (Client.RequestTimeout, Client.ResolveTimeout). Such errors also
// match context.DeadlineExceeded.
var ErrTimeout = errors.New("timed out")

// timeoutError is the cause given to the deadlines this package sets, so
// that an error says which bound was reached.
type timeoutError struct {
	what  string        // "the answer", "resolving the repository"
	d     time.Duration // the bound
	field string        // the Client field that sets it
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s took longer than %v (Client.%s): %v", e.what, e.d, e.field, ErrTimeout)
}

func (e *timeoutError) Unwrap() []error { return []error{ErrTimeout, context.DeadlineExceeded} }

// StatusError is an HTTP answer other than success. Its message says what to
// do about it.
type StatusError struct {
	StatusCode int
	Code       string // the hub's X-Error-Code, e.g. "GatedRepo", "RepoNotFound"
	Message    string // the hub's own message, cleaned of control characters
	What       string // what was asked for, e.g. "hf://org/name@main"
	TokenSent  bool   // whether the request carried a token
	Retries    int    // how many retries were made before giving up
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("hf: %s: %d %s: %s", e.What, e.StatusCode, http.StatusText(e.StatusCode), e.hint())
	if e.Message != "" {
		s += " (hub: " + e.Message + ")"
	}
	return s
}

// hint turns the status and the hub's error code into advice.
func (e *StatusError) hint() string {
	switch {
	case e.StatusCode == http.StatusUnauthorized && !e.TokenSent:
		return "the repository is private or gated, or does not exist: check the name, " +
			"or set HF_TOKEN to an access token with read access"
	case e.StatusCode == http.StatusUnauthorized:
		return "the token in HF_TOKEN was refused: check that it is valid and has read access"
	case e.StatusCode == http.StatusForbidden && (e.Code == "GatedRepo" || !e.TokenSent):
		return "the repository is gated: accept its conditions on its Hugging Face page " +
			"while logged in, then set HF_TOKEN to an access token of that account"
	case e.StatusCode == http.StatusForbidden:
		return "the token has no access to this repository: accept its conditions or check the token's permissions"
	case e.StatusCode == http.StatusNotFound && e.Code == "RevisionNotFound":
		return "revision not found: check the @revision (branch, tag or commit)"
	case e.StatusCode == http.StatusNotFound && e.Code == "EntryNotFound":
		return "file not found at this revision"
	case e.StatusCode == http.StatusNotFound:
		return "repository or revision not found: check the name and revision " +
			"(a private repository also answers 404 to a token without access)"
	case e.StatusCode == http.StatusTooManyRequests:
		return fmt.Sprintf("rate limited by the hub, still after %d retries: wait and try again, "+
			"or set HF_TOKEN (authenticated requests have higher limits)", e.Retries)
	case e.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return "byte range outside the file: the file changed or its size was misreported"
	case e.StatusCode >= 500:
		return fmt.Sprintf("server error, still after %d retries: try again later", e.Retries)
	}
	return "unexpected answer"
}

const maxErrorBody = 4 << 10

// statusError builds a StatusError from an answer and closes its body.
func statusError(resp *http.Response, what string, tokenSent bool, retries int) error {
	defer resp.Body.Close()
	e := &StatusError{StatusCode: resp.StatusCode, What: what, TokenSent: tokenSent, Retries: retries}
	e.Code = clean(resp.Header.Get("X-Error-Code"), 64)
	e.Message = clean(resp.Header.Get("X-Error-Message"), 200)
	if e.Message == "" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		var v struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &v) == nil {
			e.Message = clean(v.Error, 200)
		}
	}
	return e
}

// clean makes text from a server safe to print: no control characters (no
// terminal escapes), bounded length.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(strings.TrimSpace(s), "")
}
