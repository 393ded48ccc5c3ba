package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/modelward/modelward/registry"
)

type actorKey struct{}

// actorLogKey carries a pointer the request log reads the actor from.
type actorLogKey struct{}

// actorFrom returns the authenticated actor; routes only run after
// authenticate, so it is always there.
func actorFrom(ctx context.Context) registry.Actor {
	a, _ := ctx.Value(actorKey{}).(registry.Actor)
	return a
}

// public reports whether the request may go without a token: only GET or
// HEAD of exactly "/healthz" or "/openapi.json", compared on the raw
// request target so no spelling of another path can pass for them.
func public(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	raw := r.RequestURI
	if raw == "" { // a request built in-process rather than read from the wire
		raw = r.URL.RequestURI()
	}
	path, _, _ := strings.Cut(raw, "?")
	return path == "/healthz" || path == "/openapi.json"
}

// authenticate admits requests with a valid bearer token (or public ones)
// and refuses the rest with 401 before any routing happens, whatever the
// path or method.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public(r) {
			next.ServeHTTP(w, r)
			return
		}
		a, err := s.bearer(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if p, ok := r.Context().Value(actorLogKey{}).(*string); ok {
			*p = a.ID
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, a)))
	})
}

// bearer authenticates the request's one Authorization header.
func (s *Server) bearer(r *http.Request) (registry.Actor, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) != 1 {
		return registry.Actor{}, registry.ErrUnauthenticated
	}
	scheme, tok, ok := strings.Cut(hs[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return registry.Actor{}, registry.ErrUnauthenticated
	}
	a, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil && !errors.Is(err, registry.ErrUnauthenticated) {
		// The store failed: say so (500), never "bad token".
		return registry.Actor{}, err
	}
	return a, err
}
