package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelward/modelward/registry"
)

type tokenRequest struct {
	Name         string        `json:"name"`
	Role         registry.Role `json:"role"`
	Models       []string      `json:"models"`
	TTL          string        `json:"ttl"`
	BoundVersion string        `json:"bound_version"`
}

type tokenResponse struct {
	Token string          `json:"token"`
	Info  *registry.Token `json:"info"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if err := a.Allow(admin, ""); err != nil {
		return err
	}
	var req tokenRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	ttl, err := req.check()
	if err != nil {
		return err
	}
	secret, t, err := s.svc.CreateToken(r.Context(), a, req.Name, req.Role, req.Models, ttl, req.BoundVersion)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, tokenResponse{Token: secret, Info: t})
}

// check validates the request before the service sees it (its own
// refusals of these are plain errors) and returns the TTL.
func (req *tokenRequest) check() (time.Duration, error) {
	if strings.TrimSpace(req.Name) == "" || len(req.Name) > 200 {
		return 0, badRequest("a token needs a name of at most 200 bytes")
	}
	if !registry.ValidRole(req.Role) {
		return 0, badRequest("unknown role %q: use viewer, publisher, approver or admin", req.Role)
	}
	for _, m := range req.Models {
		if err := registry.ValidModelName(m); err != nil {
			return 0, badRequest("%v", err)
		}
	}
	if req.BoundVersion != "" {
		m, n, ok := strings.Cut(req.BoundVersion, "@")
		v, err := strconv.ParseInt(n, 10, 64)
		if !ok || registry.ValidModelName(m) != nil || err != nil || v <= 0 {
			return 0, badRequest("invalid bound_version %q: use model@version", req.BoundVersion)
		}
	}
	if req.TTL == "" {
		return 0, nil
	}
	ttl, err := time.ParseDuration(req.TTL)
	if err != nil || ttl <= 0 {
		return 0, badRequest("invalid ttl %q: use a positive duration such as 720h", req.TTL)
	}
	return ttl, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := actorFrom(r.Context()).Allow(admin, ""); err != nil {
		return err
	}
	p, err := pageParam(r)
	if err != nil {
		return err
	}
	ts, next, err := s.svc.Store().Tokens(r.Context(), p)
	if err != nil {
		return cursorError(p, err)
	}
	return writeList(w, r, p, ts, next)
}

// revokeToken: admins revoke any token, any token revokes itself (the
// service decides).
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	a, id := actorFrom(r.Context()), r.PathValue("id")
	if a.ID != id {
		if err := a.Allow(admin, ""); err != nil {
			return err
		}
	}
	var req reasonRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), a, id, req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
