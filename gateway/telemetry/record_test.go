package telemetry

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"
)

// leBytes builds the expected bytes without encoding/binary.
func leBytes(x []float32) []byte {
	var b []byte
	for _, v := range x {
		u := math.Float32bits(v)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}

func TestDigestRowKnownAnswers(t *testing.T) {
	// SHA-256 of the empty string, FIPS 180-4 test vector.
	if got, want := DigestRow(nil), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Fatalf("DigestRow(nil) = %s, want %s", got, want)
	}
	// 1.0f is 0x3f800000, little endian 00 00 80 3f.
	one := sha256.Sum256([]byte{0x00, 0x00, 0x80, 0x3f})
	if got, want := DigestRow([]float32{1}), "sha256:"+hex.EncodeToString(one[:]); got != want {
		t.Fatalf("DigestRow([1]) = %s, want %s", got, want)
	}
	// Lengths around the internal chunk of 128 values.
	for _, n := range []int{1, 64, 127, 128, 129, 256, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i)*0.37 - 3
		}
		x[0] = float32(math.Inf(-1))
		sum := sha256.Sum256(leBytes(x))
		if got, want := DigestRow(x), "sha256:"+hex.EncodeToString(sum[:]); got != want {
			t.Errorf("n=%d: got %s, want %s", n, got, want)
		}
	}
}

func TestDigestRowDistinguishesNegativeZero(t *testing.T) {
	// The digest is over the bits, so -0 and +0 differ: two inputs the
	// model may treat alike are still different queries.
	if DigestRow([]float32{0}) == DigestRow([]float32{float32(math.Copysign(0, -1))}) {
		t.Fatal("+0 and -0 share a digest")
	}
}

func TestDigestRowAllocatesOnlyTheResult(t *testing.T) {
	x := make([]float32, 64)
	if n := testing.AllocsPerRun(100, func() { _ = DigestRow(x) }); n > 1 {
		t.Fatalf("DigestRow allocates %v times, want at most 1", n)
	}
}
