package telemetry

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"sync"
	"time"
)

// Record is one prediction: one row of one request.
type Record struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`
	// Client is the principal's ID as authentication named it; never a
	// key, token or other secret.
	Client  string `json:"client"`
	Model   string `json:"model"`
	Version string `json:"version,omitempty"`
	// Row is the index of the row in the request's batch.
	Row int `json:"row"`
	// InputDigest is DigestRow of the row.
	InputDigest string `json:"input_digest"`
	// Label is the model's own top label, before any hardening.
	Label int `json:"label"`
	// Confidence is the top probability before hardening.
	Confidence float32 `json:"confidence"`
	Degraded   bool    `json:"degraded,omitempty"`
	Detector   string  `json:"detector,omitempty"`
	Score      float64 `json:"score,omitempty"`
	// Status is the HTTP status the client got.
	Status int `json:"status"`
}

// DigestPrefix starts every digest DigestRow returns.
const DigestPrefix = "sha256:"

// digestLen is the length of a digest string.
const digestLen = len(DigestPrefix) + 2*sha256.Size

// digester holds a hash and its scratch buffers. They are pooled because
// handing a buffer to hash.Hash.Write through the interface makes it escape
// to the heap: a pool keeps DigestRow to the one allocation of its result.
type digester struct {
	h   hash.Hash
	buf [512]byte
	sum [sha256.Size]byte
}

var digesters = sync.Pool{New: func() any { return &digester{h: sha256.New()} }}

// DigestRow returns "sha256:" and the hexadecimal SHA-256 of x's values as
// little-endian IEEE 754 binary32 bytes. It allocates only the result.
func DigestRow(x []float32) string {
	d := digesters.Get().(*digester)
	d.h.Reset()
	const per = len(d.buf) / 4
	for len(x) > 0 {
		n := min(len(x), per)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(d.buf[4*i:], math.Float32bits(v))
		}
		d.h.Write(d.buf[:4*n])
		x = x[n:]
	}
	sum := d.h.Sum(d.sum[:0])
	var out [digestLen]byte
	copy(out[:], DigestPrefix)
	hex.Encode(out[len(DigestPrefix):], sum)
	digesters.Put(d)
	return string(out[:])
}
