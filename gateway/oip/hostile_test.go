package oip

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The exponent is capped at about 1e6 while scanning, and the fraction's
// leading zeros are counted in full: the two must not cancel into a fast
// path for a number whose true value overflows. (A review found it.)
func TestHostileExponentCapFastPath(t *testing.T) {
	num := "0." + strings.Repeat("0", 999_999) + "1e10000000" // = 1e9000000: +Inf
	want, werr := strconv.ParseFloat(num, 64)
	v, err := parseNumber([]byte(num))
	if err != nil || float32(v) != float32(want) || werr != nil {
		t.Errorf("parseNumber(%d-byte 0.0…01e10000000) = %v, %v; strconv.ParseFloat = %v, %v", len(num), v, err, want, werr)
	}
	body := `{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[` + num + `,0,0,0]}]}`
	t.Logf("body is %d bytes (proxy default max_body_bytes 1 MiB = %d)", len(body), 1<<20)
	got, err := ParseInferRequest([]byte(body), fuzzModel, 16)
	ref, refErr := referenceParseInferRequest([]byte(body), fuzzModel, 16)
	if err != nil || refErr != nil {
		t.Fatalf("new: %v; reference: %v", err, refErr)
	}
	if got.Batch[0][0] != ref.Batch[0][0] {
		t.Errorf("new: %v; reference: %v", got.Batch[0][0], ref.Batch[0][0])
	}
}

// 100 KB: the true value is 1, but strconv.ParseFloat (and so the old
// parser) reads 0; the reader must agree with ParseFloat bit for bit.
func TestHostileLongFractionVsParseFloat(t *testing.T) {
	if msg := vsStrconv([]byte("0." + strings.Repeat("0", 99_999) + "1e100000")); msg != "" {
		t.Error(msg)
	}
}

// A 90-byte body naming a large shape must not cost the whole tensor's
// memory before its data is seen (the old parser allocated it).
func TestHostileAllocBeforeData(t *testing.T) {
	width := 3 * 224 * 224
	md := ModelMetadata{Name: "img", Platform: "test",
		Inputs:  []TensorMetadata{{Name: "x", Datatype: FP32, Shape: []int64{-1, int64(width)}}},
		Outputs: ClassifierOutputs(3)}
	body := []byte(`{"inputs":[{"name":"x","shape":[64,` + strconv.Itoa(width) + `],"datatype":"FP32","data":[]}]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 10
	for range n {
		if _, err := ParseInferRequest(body, md, 64); err == nil {
			t.Fatal("accepted")
		}
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d-byte body allocates %d bytes per parse", len(body), per)
	if per > 64*uint64(len(body)) {
		t.Errorf("%d-byte body allocates %d bytes (%dx)", len(body), per, per/uint64(len(body)))
	}
}

func TestHostileParseNumberRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 300_000; i++ {
		var b []byte
		if rnd.IntN(2) == 0 {
			b = append(b, '-')
		}
		nd := 1 + rnd.IntN(20)
		b = append(b, byte('1'+rnd.IntN(9)))
		for range nd - 1 {
			b = append(b, byte('0'+rnd.IntN(10)))
		}
		if rnd.IntN(2) == 0 {
			b = append(b, '.')
			for range 1 + rnd.IntN(20) {
				b = append(b, byte('0'+rnd.IntN(10)))
			}
		}
		if rnd.IntN(2) == 0 {
			b = append(b, 'e')
			b = strconv.AppendInt(b, int64(rnd.IntN(80)-40), 10)
		}
		if msg := vsStrconv(b); msg != "" {
			t.Fatal(msg)
		}
	}
}

func TestHostileParseNumberLeadingZeros(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 200_000; i++ {
		b := []byte("0.")
		for range rnd.IntN(40) {
			b = append(b, '0')
		}
		for range 1 + rnd.IntN(22) {
			b = append(b, byte('0'+rnd.IntN(10)))
		}
		if rnd.IntN(2) == 0 {
			b = append(b, 'E')
			b = strconv.AppendInt(b, int64(rnd.IntN(90)-20), 10)
		}
		if msg := vsStrconv(b); msg != "" {
			t.Fatal(msg)
		}
	}
}

// One $parameters object holds at most 64 names of at most 256 bytes:
// more costs map growth out of proportion to the body.
func TestHostileParameterBounds(t *testing.T) {
	params := func(n, keyLen int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(strings.Repeat("k", keyLen) + strconv.Itoa(i)))
			b.WriteString(":1")
		}
		return `{"parameters":{` + b.String() + `},"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[0,1,2,3]}]}`
	}
	if _, err := ParseInferRequest([]byte(params(64, 10)), fuzzModel, 16); err != nil {
		t.Fatalf("64 parameters: %v", err)
	}
	if _, err := ParseInferRequest([]byte(params(65, 10)), fuzzModel, 16); err == nil || !strings.Contains(err.Error(), "more than 64") {
		t.Fatalf("65 parameters: %v", err)
	}
	if _, err := ParseInferRequest([]byte(params(1, 300)), fuzzModel, 16); err == nil || !strings.Contains(err.Error(), "longer than 256") {
		t.Fatalf("a 300-byte name: %v", err)
	}
}
