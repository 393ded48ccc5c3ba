package telemetry

import (
	"encoding/binary"
	"math/bits"
)

// sampler decides which records are kept. The decision hashes the input
// digest and the client rather than drawing a random number, so that it is
// the same on every replica and across restarts and needs no shared
// generator on the request path, and so that one client repeating one query
// is either always recorded or never: within the sample, how often a client
// repeats a query stays exact instead of being thinned at random, which is
// what near-duplicate and probing analyses count. The salt, when secret,
// keeps a client who knows this code from choosing inputs that are never
// recorded; without it the decision is public.
type sampler struct {
	all       bool
	threshold uint64 // keep when the hash's top 53 bits are below it
	salt      []byte
}

func newSampler(share float64, salt []byte) sampler {
	if share >= 1 {
		return sampler{all: true}
	}
	// 53 bits is the float64 mantissa, so share·2^53 is exact and below 2^53.
	return sampler{threshold: uint64(share * (1 << 53)), salt: salt}
}

// keep reports whether the record of this digest and client is kept.
func (s sampler) keep(digest, client string) bool {
	if s.all {
		return true
	}
	h := absorb(0, s.salt)
	h = absorb(h, digest)
	// The length separates digest from client, so that moving bytes from
	// one to the other changes the hash.
	h = absorb(h^uint64(len(digest)), client)
	return mix(h^uint64(len(client)))>>11 < s.threshold
}

// absorb folds b into h eight bytes at a time: the sampling decision is on
// the request path, and a byte-wise hash of a 71-byte digest costs several
// times more. Not a cryptographic hash; see sampler for why it need not be.
func absorb[T string | []byte](h uint64, b T) uint64 {
	for len(b) >= 8 {
		h = step(h, binary.LittleEndian.Uint64([]byte(b[:8])))
		b = b[8:]
	}
	var w uint64
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
	}
	return step(h, w^uint64(len(b))<<56)
}

func step(h, w uint64) uint64 {
	return bits.RotateLeft64((h^w)*0x9e3779b97f4a7c15, 29) * 0xbf58476d1ce4e5b9
}

// mix is the SplitMix64 finaliser (Steele, Lea, Flood, OOPSLA 2014), so
// that the high bits the comparison uses depend on every input bit.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
