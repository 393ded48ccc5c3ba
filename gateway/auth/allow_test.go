package auth

import (
	"errors"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestJWTScope(t *testing.T) {
	k := getKeys(t)
	a := staticAuth(t)
	auth := func(mod func(map[string]any)) Principal {
		t.Helper()
		c := claims()
		mod(c)
		p, err := a.Authenticate(request(mint(t, jose.ES256, k.ec, "ec1", c)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := auth(func(map[string]any) {})
	for _, tc := range []struct {
		model, op string
		ok        bool
	}{
		{"digits", OpInfer, true},
		{"team/classifier", OpMetadata, true},
		{"digits", OpReady, false},  // not in "scope"
		{"other", OpInfer, false},   // not in "models"
		{"Digits", OpInfer, false},  // names are exact
		{"digits", "delete", false}, // unknown operation
		{"", OpInfer, false},        // no model
		{"*", OpInfer, false},       // "*" in a request is just a name
		{"digits/../x", OpInfer, false},
	} {
		err := p.Allow(tc.model, tc.op)
		if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrForbidden) || Status(err) != http.StatusForbidden)) {
			t.Errorf("%s %s: %v", tc.model, tc.op, err)
		}
	}
	// Array and string forms; "*" grants every model.
	p = auth(func(c map[string]any) { c["models"] = "*"; c["scope"] = []string{"ready"} })
	if p.Allow("anything", OpReady) != nil || p.Allow("anything", OpInfer) == nil {
		t.Errorf("wildcard: %+v", p)
	}
	// A configured claim that is missing grants nothing.
	p = auth(func(c map[string]any) { delete(c, "scope") })
	if err := p.Allow("digits", OpInfer); !errors.Is(err, ErrForbidden) {
		t.Errorf("missing scope: %v", err)
	}
	// The zero principal may do nothing.
	if err := (Principal{}).Allow("digits", OpReady); !errors.Is(err, ErrForbidden) {
		t.Errorf("zero principal: %v", err)
	}
}

// Without scope claims configured, a valid token may do everything.
func TestJWTUnscopedConfig(t *testing.T) {
	k := getKeys(t)
	src, _ := StaticJWKS(defaultJWKS(t))
	a := newJWTAuth(t, src, func(c *JWTConfig) { c.ModelsClaim, c.OpsClaim = "", "" })
	c := claims()
	delete(c, "models")
	delete(c, "scope")
	p, err := a.Authenticate(request(mint(t, jose.EdDSA, k.ed, "ed1", c)))
	if err != nil || p.Allow("any", OpInfer) != nil {
		t.Fatalf("%v %+v", err, p)
	}
}

func TestScopeTooLarge(t *testing.T) {
	k := getKeys(t)
	c := claims()
	many := make([]string, maxScopeEntries+1)
	for i := range many {
		many[i] = "m"
	}
	c["models"] = many
	if _, err := staticAuth(t).Authenticate(request(mint(t, jose.ES256, k.ec, "ec1", c))); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("%v", err)
	}
}
