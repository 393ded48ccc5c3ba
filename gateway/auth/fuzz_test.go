package auth

import (
	"context"
	"errors"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/modelward/modelward/registry"
)

type rejectKeys struct{}

func (rejectKeys) Authenticate(context.Context, string) (registry.Actor, error) {
	return registry.Actor{}, registry.ErrUnauthenticated
}

// FuzzBearer feeds hostile Authorization headers through the whole path:
// header parsing, JWS parsing, key selection and claim checks. Nothing may
// panic, and nothing but a real signature may authenticate.
func FuzzBearer(f *testing.F) {
	k := getKeys(f)
	src, err := StaticJWKS(defaultJWKS(f))
	if err != nil {
		f.Fatal(err)
	}
	a := newJWTAuth(f, src, nil)
	a.keys = rejectKeys{}
	for _, s := range []string{
		"Bearer " + mint(f, jose.ES256, k.ec, "ec1", claims()),
		"Bearer " + mint(f, jose.EdDSA, k.ed, "", claims()),
		"Bearer mwt_0123456789abcdef_AAAA", "Bearer a.b.c", "bearer  x", "Basic dXNlcjpwdw==", "Bearer ..", "",
		"Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hdr string) {
		r, _ := http.NewRequest(http.MethodGet, "http://gw/", nil)
		r.Header.Set("Authorization", hdr)
		p, err := a.Authenticate(r)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("%q: unexpected error class: %v", hdr, err)
			}
			return
		}
		if p.Kind != KindJWT || p.Subject != "alice" {
			t.Fatalf("%q authenticated as %+v", hdr, p)
		}
	})
}
