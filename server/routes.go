package server

import (
	"context"
	"net/http"
	"time"

	"github.com/modelward/modelward/registry"
)

// route is one endpoint. The same list registers the mux, is checked
// against the OpenAPI document, and drives the authorisation tests.
type route struct {
	method string
	path   string        // the ServeMux pattern's path, also the OpenAPI path
	role   registry.Role // the least role that may call it; "" for public
	model  bool          // takes {model}: the token's model scope applies
	// stream: the route reads or writes without an overall deadline
	// (pushes, downloads, the event stream).
	stream bool
	h      func(*Server, http.ResponseWriter, *http.Request) error
}

const (
	viewer    = registry.RoleViewer
	publisher = registry.RolePublisher
	approver  = registry.RoleApprover
	admin     = registry.RoleAdmin
)

func routes() []route {
	const ver = "/v1/models/{model}/versions/{n}"
	return []route{
		{method: "GET", path: "/healthz", h: (*Server).healthz},
		{method: "GET", path: "/openapi.json", h: (*Server).openapi},
		{method: "GET", path: "/v1/models", role: viewer, h: (*Server).listModels},
		{method: "GET", path: "/v1/models/{model}/versions", role: viewer, model: true, h: (*Server).listVersions},
		{method: "POST", path: "/v1/models/{model}/versions", role: publisher, model: true, stream: true, h: (*Server).push},
		{method: "GET", path: ver, role: viewer, model: true, h: (*Server).getVersion},
		{method: "POST", path: ver + "/transitions", role: publisher, model: true, h: (*Server).transition},
		{method: "POST", path: ver + "/evaluation", role: publisher, model: true, h: (*Server).evaluation},
		{method: "POST", path: ver + "/retire", role: admin, model: true, h: (*Server).retire},
		{method: "POST", path: ver + "/shred", role: admin, model: true, h: (*Server).shred},
		{method: "GET", path: ver + "/bom", role: viewer, model: true, h: (*Server).bom},
		{method: "GET", path: ver + "/scan-report", role: viewer, model: true, h: (*Server).scanReport},
		{method: "GET", path: ver + "/signature", role: viewer, model: true, h: (*Server).signature},
		{method: "GET", path: ver + "/files/{path}", role: viewer, model: true, stream: true, h: (*Server).file},
		{method: "POST", path: "/v1/models/{model}/rollback", role: approver, model: true, h: (*Server).rollback},
		{method: "GET", path: "/v1/models/{model}/deployed", role: viewer, model: true, h: (*Server).deployed},
		{method: "POST", path: "/v1/tokens", role: admin, h: (*Server).createToken},
		{method: "GET", path: "/v1/tokens", role: admin, h: (*Server).listTokens},
		{method: "DELETE", path: "/v1/tokens/{id}", role: admin, h: (*Server).revokeToken},
		{method: "GET", path: "/v1/audit", role: viewer, h: (*Server).audit},
		{method: "GET", path: "/v1/audit/verify", role: viewer, h: (*Server).verifyAudit},
		{method: "GET", path: "/v1/events", role: viewer, stream: true, h: (*Server).events},
	}
}

// wrap turns a route into a handler: a deadline for ordinary calls, the
// test hook, and errors answered as problems.
func (s *Server) wrap(rt route) http.Handler {
	pattern := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.enter != nil {
			s.enter(pattern)
		}
		if rt.stream {
			// Pushes, downloads and event streams are bounded by size or
			// by the client, not by the clock: lift the deadlines.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
		} else {
			// Bound slow stores as the connection deadlines bound slow
			// clients.
			ctx, cancel := context.WithTimeout(r.Context(), s.opt.RequestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		switch err := rt.h(s, w, r); {
		case err == errWritten:
			// The answer had begun; the client went away mid-way.
		case err != nil:
			s.fail(w, r, err)
		}
	})
}
