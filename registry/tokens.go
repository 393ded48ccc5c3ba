package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnauthenticated: the presented token is unknown, malformed, expired
// or revoked. The message never says which, so it cannot be used to probe.
var ErrUnauthenticated = errors.New("invalid or expired token")

// A token is "mwt_<id>_<secret>": the id (8 random bytes, hex) finds the
// record; the secret (32 random bytes, base64url) is checked against its
// stored SHA-256 in constant time.
const tokenPrefix = "mwt_"

// CreateToken makes a token and returns its secret form, shown once.
// bound ("model@version", optional) ties it to a version whose retirement
// revokes it; ttl 0 means no expiry.
func (s *Service) CreateToken(ctx context.Context, a Actor, name string, role Role, models []string, ttl time.Duration, bound string) (string, *Token, error) {
	if err := a.Allow(RoleAdmin, ""); err != nil {
		return "", nil, err
	}
	if !ValidRole(role) {
		return "", nil, fmt.Errorf("unknown role %q: use viewer, publisher, approver or admin", role)
	}
	for _, m := range models {
		if err := ValidModelName(m); err != nil {
			return "", nil, err
		}
	}
	id, secret := make([]byte, 8), make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(secret)
	now := s.now().UTC()
	t := &Token{ID: hex.EncodeToString(id), SecretHash: sum[:], Name: name, Role: role, Models: models,
		CreatedBy: a.ID, CreatedAt: now, BoundVersion: bound}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	detail, _ := json.Marshal(map[string]any{"token": t.ID, "name": name, "role": role, "models": models})
	e := &AuditEntry{Actor: a.ID, Action: "token.create", Detail: detail}
	if err := s.store.CreateToken(ctx, t, e); err != nil {
		return "", nil, err
	}
	s.events.Publish(*e)
	return tokenPrefix + t.ID + "_" + base64.RawURLEncoding.EncodeToString(secret), t, nil
}

// Authenticate turns a presented token into the actor it stands for.
func (s *Service) Authenticate(ctx context.Context, presented string) (Actor, error) {
	rest, ok := strings.CutPrefix(presented, tokenPrefix)
	id, enc, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 || len(enc) != 43 {
		return Actor{}, ErrUnauthenticated
	}
	// Strict: one spelling per secret, so nothing keyed on the presented
	// string (rate limits, caches) can be dodged by another spelling.
	secret, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return Actor{}, ErrUnauthenticated
	}
	t, err := s.store.Token(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Actor{}, ErrUnauthenticated
	}
	if err != nil {
		return Actor{}, err
	}
	sum := sha256.Sum256(secret)
	now := s.now()
	if subtle.ConstantTimeCompare(sum[:], t.SecretHash) != 1 || !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && now.After(t.ExpiresAt)) {
		return Actor{}, ErrUnauthenticated
	}
	return Actor{ID: t.ID, Role: t.Role, Models: t.Models}, nil
}

// RevokeToken revokes a token (admins; or any token revoking itself).
func (s *Service) RevokeToken(ctx context.Context, a Actor, id, reason string) error {
	if a.ID != id {
		if err := a.Allow(RoleAdmin, ""); err != nil {
			return err
		}
	}
	return s.revoke(ctx, a, id, reason)
}
