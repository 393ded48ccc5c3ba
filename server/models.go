package server

import (
	"net/http"
	"slices"

	"github.com/modelward/modelward/registry"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// listModels lists models; a scoped token sees only its models.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if err := a.Allow(viewer, ""); err != nil {
		return err
	}
	p, err := pageParam(r)
	if err != nil {
		return err
	}
	ms, next, err := s.svc.Store().Models(r.Context(), p)
	if err != nil {
		return cursorError(p, err)
	}
	if len(a.Models) > 0 {
		ms = slices.DeleteFunc(ms, func(m registry.ModelSummary) bool { return !slices.Contains(a.Models, m.Model) })
	}
	return writeList(w, r, p, ms, next)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	m, err := allowed(r, viewer)
	if err != nil {
		return err
	}
	p, err := pageParam(r)
	if err != nil {
		return err
	}
	vs, next, err := s.svc.Store().Versions(r.Context(), m, p)
	if err != nil {
		return cursorError(p, err)
	}
	return writeList(w, r, p, vs, next)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, viewer)
	if err != nil {
		return err
	}
	v, err := s.svc.Store().Version(r.Context(), m, n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

type transitionRequest struct {
	To     registry.State `json:"to"`
	Reason string         `json:"reason"`
}

// transition: the service checks the role the target state needs; the
// least of them (publisher) is checked here so that nobody below it
// learns anything about the version.
func (s *Server) transition(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, publisher)
	if err != nil {
		return err
	}
	var req transitionRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if !req.To.Valid() {
		return badRequest("unknown state %q", req.To)
	}
	v, err := s.svc.Transition(r.Context(), actorFrom(r.Context()), m, n, req.To, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) evaluation(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, publisher)
	if err != nil {
		return err
	}
	var results map[string]float64
	if err := decodeJSON(w, r, &results, false); err != nil {
		return err
	}
	if len(results) == 0 {
		return badRequest("the evaluation needs at least one metric")
	}
	v, err := s.svc.RecordEvaluation(r.Context(), actorFrom(r.Context()), m, n, results)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

type retireRequest struct {
	Reason string `json:"reason"`
	Shred  bool   `json:"shred"`
	// RevokeSigner revokes the identity that signed the version.
	RevokeSigner bool `json:"revoke_signer"`
}

func (s *Server) retire(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, admin)
	if err != nil {
		return err
	}
	var req retireRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	v, err := s.svc.Retire(r.Context(), actorFrom(r.Context()), m, n, registry.RetireOptions{Reason: req.Reason, Shred: req.Shred, RevokeSigner: req.RevokeSigner})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) shred(w http.ResponseWriter, r *http.Request) error {
	m, n, err := versionAllowed(r, admin)
	if err != nil {
		return err
	}
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	v, err := s.svc.Shred(r.Context(), actorFrom(r.Context()), m, n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) error {
	m, err := allowed(r, approver)
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	v, err := s.svc.Rollback(r.Context(), actorFrom(r.Context()), m, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// deployed re-verifies the deployed version before naming it: serving
// components load what this returns.
func (s *Server) deployed(w http.ResponseWriter, r *http.Request) error {
	m, err := allowed(r, viewer)
	if err != nil {
		return err
	}
	v, err := s.svc.Fetch(r.Context(), actorFrom(r.Context()), m)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
