package telemetry

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"sync"
)

// sampler decides which records are kept. The decision is a keyed hash
// of the input digest and the client rather than a random draw, so that it
// is the same on every replica that shares the key and across restarts,
// and so that one client repeating one query is either always recorded or
// never: within the sample, how often a client repeats a query stays exact
// instead of being thinned at random, which is what near-duplicate and
// probing analyses count. The hash is HMAC-SHA-256 under a secret key, so
// a client who knows this code still cannot choose inputs that go
// unrecorded; without a configured key, OpenFile draws a random one (then
// replicas decide differently: give them one key).
type sampler struct {
	all       bool
	threshold uint64 // keep when the MAC's top 53 bits are below it
	macs      *sync.Pool
}

func newSampler(share float64, key []byte) sampler {
	if share >= 1 {
		return sampler{all: true}
	}
	key = bytes.Clone(key)
	// 53 bits is the float64 mantissa, so share·2^53 is exact and below 2^53.
	return sampler{threshold: uint64(share * (1 << 53)),
		macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// keep reports whether the record of this digest and client is kept.
func (s sampler) keep(digest, client string) bool {
	if s.all {
		return true
	}
	m := s.macs.Get().(hash.Hash)
	defer s.macs.Put(m)
	m.Reset()
	// The length separates digest from client, so that moving bytes from
	// one to the other changes the MAC.
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(digest)))
	m.Write(n[:])
	io.WriteString(m, digest)
	io.WriteString(m, client)
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(m.Sum(sum[:0]))>>11 < s.threshold
}
