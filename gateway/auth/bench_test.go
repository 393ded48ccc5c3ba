package auth

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/modelward/modelward/registry"
)

func BenchmarkJWT(b *testing.B) {
	k := getKeys(b)
	a := staticAuth(b)
	r := request(mint(b, jose.ES256, k.ec, "ec1", claims()))
	b.ReportAllocs()
	for b.Loop() {
		p, err := a.Authenticate(r)
		if err != nil || p.Allow("digits", OpInfer) != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWTEdDSA(b *testing.B) {
	k := getKeys(b)
	a := staticAuth(b)
	r := request(mint(b, jose.EdDSA, k.ed, "ed1", claims()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIKey includes the registry's SQLite lookup.
func BenchmarkAPIKey(b *testing.B) {
	svc := registryService(b)
	secret, _, err := svc.CreateToken(context.Background(), admin, "bench", registry.RoleViewer, []string{"digits"}, 0, "")
	if err != nil {
		b.Fatal(err)
	}
	a, _ := New(Options{Keys: svc})
	r := request(secret)
	b.ReportAllocs()
	for b.Loop() {
		p, err := a.Authenticate(r)
		if err != nil || p.Allow("digits", OpInfer) != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReject: what a flood of garbage costs.
func BenchmarkReject(b *testing.B) {
	a := staticAuth(b)
	r := request("eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjMSJ9.e30.AAAA")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err == nil {
			b.Fatal("accepted")
		}
	}
}
