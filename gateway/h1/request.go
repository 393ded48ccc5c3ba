package h1

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Request is one call to an upstream.
type Request struct {
	// Method is the request method, e.g. "POST"; an RFC 9110 token.
	Method string
	// Host is the upstream's host:port, e.g. "127.0.0.1:8500"; it is
	// dialled and sent as the Host field.
	Host string
	// Path is the request-target, already escaped, starting with "/".
	Path string
	// ContentType is sent when not empty.
	ContentType string
	// Body is sent as is; its length is always sent for POST, PUT and
	// PATCH (even 0) and for any other method with a body.
	Body []byte
	// MaxResponseBytes bounds the response body; DefaultMaxResponseBytes
	// when 0 or less. A larger body fails with ErrTooLarge.
	MaxResponseBytes int64
	// Close asks the upstream to close the connection after answering.
	Close bool
	// Deadline, when not zero, bounds the exchange (dial, write, read) as
	// a context deadline would, whichever of the two comes first. It
	// costs no timer: a caller with a per-call timeout sets it rather
	// than deriving a context for every call.
	Deadline time.Time
}

// deadline is when the exchange must end: the earlier of ctx's deadline
// and r.Deadline; zero when neither is set.
func (r *Request) deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	switch {
	case !ok:
		return r.Deadline
	case r.Deadline.IsZero() || d.Before(r.Deadline):
		return d
	}
	return r.Deadline
}

func (r *Request) maxBody() int64 {
	if r.MaxResponseBytes <= 0 {
		return DefaultMaxResponseBytes
	}
	return r.MaxResponseBytes
}

// validate refuses what would let a caller's string split the request:
// every field goes onto the wire verbatim.
func (r *Request) validate() error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: nil request", ErrBadRequest)
	case r.Method == "" || !isToken(r.Method):
		return fmt.Errorf("%w: method %q is not a token", ErrBadRequest, r.Method)
	case len(r.Path) == 0 || r.Path[0] != '/' || !isVisible(r.Path):
		return fmt.Errorf("%w: path %q is not an escaped absolute path", ErrBadRequest, r.Path)
	case !isVisible(r.Host):
		return fmt.Errorf("%w: host %q", ErrBadRequest, r.Host)
	case !isFieldValue(r.ContentType):
		return fmt.Errorf("%w: content type %q", ErrBadRequest, r.ContentType)
	}
	if _, port, err := net.SplitHostPort(r.Host); err != nil || port == "" {
		return fmt.Errorf("%w: host %q is not host:port", ErrBadRequest, r.Host)
	}
	return nil
}

// appendHead appends the request line and header section to b.
func (r *Request) appendHead(b []byte) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.Host...)
	b = append(b, "\r\nUser-Agent: modelward-gateway\r\n"...)
	if r.ContentType != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, r.ContentType...)
		b = append(b, "\r\n"...)
	}
	if len(r.Body) > 0 || r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Accept: application/json\r\n"...)
	if r.Close {
		b = append(b, "Connection: close\r\n"...)
	}
	return append(b, "\r\n"...)
}
