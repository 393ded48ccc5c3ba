package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery (Standard Webhooks).
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// DefaultTolerance is how far Verify lets a timestamp be from now when
// given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns (wrapped); test with errors.Is.
var (
	ErrMissingHeader = errors.New("webhook: missing header")
	ErrTimestamp     = errors.New("webhook: timestamp out of tolerance")
	ErrSignature     = errors.New("webhook: no valid signature")
)

// Sign returns the Webhook-Signature value for a message: "v1," and the
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under secret.
func Sign(secret []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// maxSignatures bounds how many entries of a signature list are checked.
const maxSignatures = 16

// Verify checks a delivery as a receiver gets it: the Webhook-Id,
// Webhook-Timestamp and Webhook-Signature headers and the raw body, exactly
// as received (not re-encoded JSON). The timestamp must be within
// tolerance of now (DefaultTolerance when tolerance is 0 or less), which
// bounds replays; receivers should also drop an id they have already
// processed. Signatures are compared in constant time; any "v1" entry of
// the space-separated list may match, other versions are ignored.
func Verify(secret []byte, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if len(secret) == 0 {
		return errors.New("webhook: no secret to verify with")
	}
	id, ts, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	for _, h := range []struct{ name, v string }{{HeaderID, id}, {HeaderTimestamp, ts}, {HeaderSignature, sigs}} {
		if h.v == "" {
			return fmt.Errorf("%w %s", ErrMissingHeader, h.name)
		}
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts[0] == '+' || ts[0] == '-' {
		return fmt.Errorf("%w: %s %q is not a number of seconds", ErrTimestamp, HeaderTimestamp, ts)
	}
	// Compare in seconds: time.Unix of an absurd value would overflow.
	if diff := now.Unix() - sec; diff > int64(tolerance/time.Second) || -diff > int64(tolerance/time.Second) {
		return fmt.Errorf("%w: %s is %s, now is %s (tolerance %s)", ErrTimestamp, HeaderTimestamp,
			time.Unix(sec, 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	}
	want := mac(secret, id, ts, body)
	for i, s := range strings.Fields(sigs) {
		if i == maxSignatures {
			break
		}
		b64, ok := strings.CutPrefix(s, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}

// ParseSecret reads a secret in the Standard Webhooks form "whsec_<base64>"
// (the prefix may be omitted).
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("webhook secret: not base64 (expected whsec_<base64>): %w", err)
	}
	if len(b) < MinSecretSize {
		return nil, fmt.Errorf("webhook secret: %d bytes; use at least %d random bytes", len(b), MinSecretSize)
	}
	return b, nil
}
