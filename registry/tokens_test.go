package registry_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/sign/bundle"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	secret, tok, err := w.svc.CreateToken(ctx, w.admin, "ci", registry.RolePublisher, []string{"team/classifier"}, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.svc.Authenticate(ctx, secret)
	if err != nil || a.ID != tok.ID || a.Role != registry.RolePublisher {
		t.Fatalf("authenticate: %v %+v", err, a)
	}
	if err := a.Allow(registry.RolePublisher, "team/other"); !errors.Is(err, registry.ErrForbidden) {
		t.Fatalf("scope: %v", err)
	}
	// Only admins create tokens; nothing but the exact secret authenticates.
	if _, _, err := w.svc.CreateToken(ctx, w.approver, "x", registry.RoleAdmin, nil, 0, ""); !errors.Is(err, registry.ErrForbidden) {
		t.Fatalf("approver creating a token: %v", err)
	}
	// The last character of 43 base64url characters carries 4 spare bits:
	// the other spellings of the same secret must not authenticate.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", secret[len(secret)-1])
	alias := secret[:len(secret)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last^1])
	for _, bad := range []string{"", alias, strings.Replace(secret, "mwt_", "mwx_", 1), secret + "x", "mwt_" + tok.ID + "_"} {
		if _, err := w.svc.Authenticate(ctx, bad); !errors.Is(err, registry.ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Expired and revoked tokens stop working.
	short, _, err := w.svc.CreateToken(ctx, w.admin, "short", registry.RoleViewer, nil, time.Millisecond, "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := w.svc.Authenticate(ctx, short); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("expired: %v", err)
	}
	if err := w.svc.RevokeToken(ctx, w.admin, tok.ID, "rotated"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Authenticate(ctx, secret); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("revoked: %v", err)
	}
	// The secret itself is never stored.
	got, _ := w.store.Token(ctx, tok.ID)
	if strings.Contains(string(got.SecretHash), secret[len(secret)-43:]) {
		t.Fatal("secret stored")
	}
}

// Signed checkpoints catch a log cut short after them, even when what
// remains is a valid chain.
func TestCheckpointsDetectTruncation(t *testing.T) {
	ctx := context.Background()
	w := setup(t)
	keys, _ := bundle.GenerateKeys(bundle.AlgECDSAP256)
	for i := range 3 {
		if _, _, err := w.svc.CreateToken(ctx, w.admin, "t"+string(rune('a'+i)), registry.RoleViewer, nil, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := w.svc.Checkpoint(ctx, keys[0])
	if err != nil || cp.Seq != 3 {
		t.Fatalf("checkpoint: %v %+v", err, cp)
	}
	pub := []*bundle.Verifier{keys[0].Public()}
	r, err := registry.VerifyAudit(ctx, w.store, pub)
	if err != nil || r.Entries != 3 || r.Checkpoints != 1 {
		t.Fatalf("verify: %v %+v", err, r)
	}
	other, _ := bundle.GenerateKeys(bundle.AlgECDSAP256)
	var ce *registry.ChainError
	if _, err := registry.VerifyAudit(ctx, w.store, []*bundle.Verifier{other[0].Public()}); !errors.As(err, &ce) {
		t.Fatalf("another server key: %v", err)
	}
	// Cut the last entry: the chain that remains is valid, the checkpoint is not.
	db, err := sql.Open("sqlite", filepath.Join(w.dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DELETE FROM audit WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.VerifyAudit(ctx, w.store, pub); !errors.As(err, &ce) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated log: %v", err)
	}
}

// FuzzAuthenticate: presented tokens are hostile; nothing but the exact
// secret authenticates, and nothing panics.
func FuzzAuthenticate(f *testing.F) {
	w := setup(f)
	secret, _, err := w.svc.CreateToken(context.Background(), w.admin, "fuzz", registry.RoleViewer, nil, 0, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(secret)
	f.Add("mwt_")
	f.Add("mwt_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		a, err := w.svc.Authenticate(context.Background(), s)
		if s == secret {
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		if err == nil {
			t.Fatalf("%q authenticated as %+v", s, a)
		}
	})
}
