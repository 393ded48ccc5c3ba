package pickle

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
)

// fuzzSeeds are real pickles written by the real libraries (the project's
// corpus) plus the crafted bypass streams of the unit tests.
func fuzzSeeds(f *testing.F) {
	var paths []string
	for _, pat := range []string{"../../testdata/corpus/*/*/*.pkl", "../../testdata/corpus/*/*/*.pickle", "testdata/seeds/*"} {
		m, _ := filepath.Glob(pat)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		// Small seeds keep the fuzzer fast: it minimises every new
		// interesting input, and a megabyte input takes minutes to minimise.
		if err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(asm{}.proto(4).unicode("os").binPut(0).op(opPop).unicode("system").binPut(1).op(opPop).binGet(0).binGet(1).op(opStackGlobal).call1("id").stop()))
	f.Add([]byte(asm{}.global("os", "system").text(opString, "'id'").op(opTuple1, opReduce).stop()))
	f.Add([]byte(asm{}.proto(4).frame(3).op(opEmptyDict, opMark).unicode("k").op(opNewTrue, opSetItems).stop()))
	f.Add([]byte(asm{}.op(opMark).text(opLong, "123456789012345678901234567890L").text(opFloat, "1.5").text(opInt, "01").op(opTuple).stop()))
}

func FuzzAnalyze(f *testing.F) {
	fuzzSeeds(f)
	lim := DefaultLimits
	lim.MaxOps, lim.MaxMemo, lim.MaxStack, lim.MaxMarks, lim.KeepBytes = 100_000, 10_000, 10_000, 1_000, 1<<20
	f.Fuzz(func(t *testing.T, b []byte) {
		// Both entry points must agree and never panic.
		fs1, r1 := ScanBytes(b, Config{Policy: pol, Options: Options{Limits: lim}})
		fs2, r2 := Scan(bytes.NewReader(b), Config{Policy: pol, Options: Options{Limits: lim}})
		if r1.Ops != r2.Ops || len(fs1) != len(fs2) {
			t.Fatalf("in-memory and streamed analyses differ: %d/%d ops, %d/%d findings", r1.Ops, r2.Ops, len(fs1), len(fs2))
		}
		if !r1.Complete && len(r1.Issues) == 0 {
			t.Fatal("an incomplete analysis reported no issue")
		}
		for _, x := range fs1 {
			if _, ok := finding.Lookup(x.Rule); !ok {
				t.Fatalf("unknown rule %s", x.Rule)
			}
		}
	})
}

// list2M builds the pickle Python writes for list(range(2_000_000)) with
// protocol 4: frames of about 64 KiB, MARK ... APPENDS batches of 1000.
func list2M() []byte {
	if b, err := readGz("../../testdata/corpus/benign/list_2m.pkl.gz"); err == nil {
		return b
	}
	out := asm{}.proto(4).frame(2).op(opEmptyList).op(opMemoize)
	for i := 0; i < 2_000_000; i += 1000 {
		body := asm{}.op(opMark)
		for k := i; k < i+1000; k++ {
			switch {
			case k < 256:
				body = body.op(opBinInt1, byte(k))
			case k < 65536:
				body = body.op(opBinInt2, byte(k), byte(k>>8))
			default:
				body = body.op(opBinInt, byte(k), byte(k>>8), byte(k>>16), byte(k>>24))
			}
		}
		body = body.op(opAppends)
		out = out.frame(uint64(len(body))).op(body...)
	}
	return out.stop()
}

func readGz(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func benchScan(b *testing.B, p []byte) {
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		fs, res := Scan(bytes.NewReader(p), Config{Policy: pol, Options: Options{SizeHint: int64(len(p))}})
		if !res.Complete || len(fs) != 0 {
			b.Fatalf("benchmark input is not clean: %+v", fs)
		}
	}
}

func BenchmarkList2M(b *testing.B) { benchScan(b, list2M()) }

// benchScanBytes measures ScanBytes, the in-memory path the scanner uses
// for streams up to 16 MiB: the screen first, the machine if it must.
func benchScanBytes(b *testing.B, p []byte) {
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		fs, res := ScanBytes(p, Config{Policy: pol})
		if !res.Complete || len(fs) != 0 {
			b.Fatalf("benchmark input is not clean: %+v", fs)
		}
	}
}

func BenchmarkBytesList2M(b *testing.B)        { benchScanBytes(b, list2M()) }
func BenchmarkBytesStateDict20k(b *testing.B)  { benchScanBytes(b, stateDict(20_000)) }
func BenchmarkBytesRealStateDict(b *testing.B) { benchScanBytes(b, realStateDict(b)) }

// BenchmarkStateDict20k scans a pickle shaped like torch.save of a state
// dict with 20,000 tensors: OrderedDict of _rebuild_tensor_v2 calls with
// persistent storage ids, as PyTorch writes it.
func BenchmarkStateDict20k(b *testing.B) { benchScan(b, stateDict(20_000)) }

func stateDict(n int) []byte {
	p := asm{}.proto(2).global("collections", "OrderedDict").binPut(0).op(opEmptyTuple, opReduce).binPut(1).op(opMark)
	p = p.global("torch._utils", "_rebuild_tensor_v2").binPut(2).global("torch", "FloatStorage").binPut(3)
	for i := 0; i < n; i++ {
		key := "layers." + itoa(i) + ".weight"
		m := i + 10
		p = p.binUnicode(key).op(opLongBinPut, byte(m), byte(m>>8), byte(m>>16), 0)
		p = p.binGet(2).op(opMark).op(opMark).unicode("storage").binGet(3).unicode(itoa(i)).unicode("cpu").op(opBinInt2, 0, 1, opTuple, opBinPersID)
		p = p.op(opBinInt1, 0).op(opBinInt1, 16, opBinInt1, 16, opTuple2).op(opBinInt1, 16, opBinInt1, 1, opTuple2).op(opNewFalse)
		p = p.global("collections", "OrderedDict").op(opEmptyTuple, opReduce).op(opTuple, opReduce)
		if i%1000 == 999 {
			p = p.op(opSetItems, opMark)
		}
	}
	return p.op(opSetItems).stop()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// BenchmarkRealStateDict20k scans data.pkl of a torch.save'd state dict
// with 20,000 tensors written by PyTorch (testdata/corpus), when present.
func BenchmarkRealStateDict20k(b *testing.B) { benchScan(b, realStateDict(b)) }

func realStateDict(b *testing.B) []byte {
	p, err := os.ReadFile(os.Getenv("MODELWARD_BENCH_PKL"))
	if err != nil {
		b.Skip("set MODELWARD_BENCH_PKL to a pickle to benchmark")
	}
	return p
}
