package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
)

// concrete fills a route's wildcards with values that exist in no store:
// authorisation must answer before any lookup.
func concrete(rt route, tokenID string) string {
	return strings.NewReplacer("{model}", "team%2Fclassifier", "{n}", "1", "{path}", "model.onnx", "{id}", tokenID).Replace(rt.path)
}

// below is the role just under r, or "" when none is.
func below(r registry.Role) registry.Role {
	return map[registry.Role]registry.Role{registry.RolePublisher: registry.RoleViewer, registry.RoleApprover: registry.RolePublisher, registry.RoleAdmin: registry.RoleApprover}[r]
}

// Every route refuses every kind of bad credential, and the wrong role or
// model scope.
func TestAuthorisationEveryRoute(t *testing.T) {
	w := setup(t, Options{})
	revoked, revokedID := w.newToken(registry.RoleAdmin, nil, "")
	w.do("DELETE", "/v1/tokens/"+revokedID, w.tok["admin"], nil, http.StatusNoContent, nil)
	expired, _ := w.newToken(registry.RoleAdmin, nil, "1ms")
	scoped, _ := w.newToken(registry.RoleAdmin, []string{"other/model"}, "")
	roleTok := map[registry.Role]string{}
	for _, r := range []registry.Role{registry.RoleViewer, registry.RolePublisher, registry.RoleApprover} {
		roleTok[r] = w.tok[string(r)]
	}
	time.Sleep(5 * time.Millisecond) // the 1ms token expires

	for _, rt := range routes() {
		if rt.role == "" {
			continue
		}
		path := concrete(rt, w.id["publisher"])
		cases := []struct {
			name, token string
			want        int
		}{
			{"no token", "", 401}, {"garbage token", "mwt_garbage", 401},
			{"revoked token", revoked, 401}, {"expired token", expired, 401},
		}
		if r := below(rt.role); r != "" {
			cases = append(cases, struct {
				name, token string
				want        int
			}{"role " + string(r), roleTok[r], 403})
		}
		if rt.model {
			cases = append(cases, struct {
				name, token string
				want        int
			}{"wrong model scope", scoped, 403})
		}
		for _, c := range cases {
			before := w.entries()
			resp := w.request(rt.method, path, c.token, strings.NewReader("{}"), http.Header{"Content-Type": {"application/json"}})
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s %s with %s: %d, want %d", rt.method, path, c.name, resp.StatusCode, c.want)
			}
			if c.want == 401 && (w.entries() != before || resp.Header.Get("WWW-Authenticate") == "") {
				t.Errorf("%s %s with %s: reached a handler or no WWW-Authenticate", rt.method, path, c.name)
			}
		}
	}
}

// rawStatus sends a request line exactly as given, bypassing every client
// normalisation, and returns the status.
func rawStatus(t *testing.T, ts *httptest.Server, method, target, token string) int {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: example\r\nConnection: close\r\nContent-Length: 0\r\n%s\r\n", method, target, auth)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// No spelling of a path, and no method, gets past authentication.
func TestPathTricks(t *testing.T) {
	w := setup(t, Options{})
	targets := []string{
		"/", "//v1/models", "/v1//models", "/v1/models/", "/v1/models/.", "/v1/./models", "/v1/models/..",
		"/v1/%2e%2e/tokens", "/v1/%2E%2E/v1/tokens", "/v1/models/../tokens", "/v1/x/../tokens",
		"/v1/models/team%2Fclassifier/versions", "/v1/models/team%2fclassifier/versions",
		"/v1/models/team/classifier/versions", "/v1/models/team%252Fclassifier/versions",
		"/v1/models/team%2Fclassifier/versions/1/files/..%2F..%2Fetc%2Fpasswd",
		"/healthz/", "/healthz.", "/healthz%2F", "/healthz/.", "/healthz/..", "/healthz%00", "/healthz;x",
		"/%68ealthz", "/HEALTHZ", "/Healthz", "/./healthz", "//healthz", "/healthz/../v1/tokens",
		"/openapi.json.", "/openapi.json/", "/openapi%2Ejson", "/OPENAPI.JSON", "/openapi.json/../v1/tokens",
		"/V1/models", "/v1/MODELS", "/v1/models\\", "/v1\\models", "/v1/models%5C", "/v1/tokens%00",
		"/v1/tokens/", "/v1/audit/", "/v1/audit/verify/", "/v1/events/", "/v1/unknown", "/v2/models",
		"http://example/v1/models", "http://example/healthz", "v1/models", "*",
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "get"}
	before := w.entries()
	for _, target := range targets {
		for _, m := range methods {
			if st := rawStatus(t, w.ts, m, target, ""); st < 300 || st == http.StatusNotModified {
				t.Errorf("%s %q without a token: %d", m, target, st)
			}
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		for _, target := range []string{"/healthz", "/openapi.json"} {
			if st := rawStatus(t, w.ts, m, target, ""); st != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d", m, target, st)
			}
		}
	}
	if n := w.entries(); n != before {
		t.Fatalf("%d requests without a token reached a handler: %v", n-before, w.entered)
	}
	// The public endpoints answer, raw path exactly.
	for _, target := range []string{"/healthz", "/openapi.json", "/healthz?probe=1"} {
		for _, m := range []string{"GET", "HEAD"} {
			if st := rawStatus(t, w.ts, m, target, ""); st != 200 {
				t.Errorf("%s %s: %d", m, target, st)
			}
		}
	}
	// With a token, a literal slash in the model is no model at all, and
	// tricks resolve to no handler or an invalid name.
	for target, want := range map[string]int{
		"/v1/models/team/classifier/versions":        404,
		"/v1/models/team%2Fclassifier/versions":      200,
		"/v1/models/team%2F..%2Fx/versions":          400,
		"/v1/models/%2E%2E/versions":                 400,
		"/v1/models/team%2Fclassifier/versions/01x":  400,
		"/v1/models/team%2Fclassifier/versions/-1":   400,
		"/v1/models/team%2Fclassifier/versions/%2B1": 400,
		"/V1/models": 404,
		"/v1/models/team%2Fclassifier/versions/1/files/a%2F..%2Fb": 404,
	} {
		if st := rawStatus(t, w.ts, "GET", target, w.tok["viewer"]); st != want {
			t.Errorf("GET %s with a token: %d, want %d", target, st, want)
		}
	}
}

// The mux holds exactly the route list.
func TestMuxMatchesRoutes(t *testing.T) {
	w := setup(t, Options{})
	for _, rt := range routes() {
		r := httptest.NewRequest(rt.method, concrete(rt, "0123456789abcdef"), nil)
		if _, pattern := w.srv.mux.Handler(r); pattern != rt.method+" "+rt.path {
			t.Errorf("%s %s is routed to %q", rt.method, rt.path, pattern)
		}
	}
}
