package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/finding"
	"google.golang.org/protobuf/encoding/protowire"
)

// virtual is a file of size bytes: prefix, then zeros. It counts the bytes
// read, to show that tensor payloads are stepped over, not read.
type virtual struct {
	prefix []byte
	size   int64
	read   int64
}

func (v *virtual) ReadAt(p []byte, off int64) (int, error) {
	v.read += int64(len(p))
	for i := range p {
		at := off + int64(i)
		if at < int64(len(v.prefix)) {
			p[i] = v.prefix[at]
		} else {
			p[i] = 0
		}
	}
	return len(p), nil
}

func TestCostIndependentOfTensorBytes(t *testing.T) {
	const raw = 1 << 30 // 1 GiB of float32 weights: 16384 x 16384
	tensor := cat(varintField(1, 16384), varintField(1, 16384), varintField(2, 1), bytesField(8, []byte("w")),
		bytesHeader(9, raw))
	graphBody := cat(node("Relu", ""), bytesHeader(5, int64(len(tensor))+raw))
	prefix := cat(varintField(1, 8), bytesHeader(7, int64(len(graphBody)+len(tensor))+raw), graphBody, tensor)
	v := &virtual{prefix: prefix, size: int64(len(prefix)) + raw}
	res, fs, err := Check(v, v.size, Config{Location: finding.Location{Path: "big.onnx"}})
	if err != nil || len(fs) != 0 || res.Nodes != 1 {
		t.Fatalf("%v %+v %+v", err, res, fs)
	}
	if v.read > 1<<20 {
		t.Errorf("read %d bytes of a %d-byte model", v.read, v.size)
	}
}

// bytesHeader is the tag and length of a bytes field whose payload
// follows separately.
func bytesHeader(num protowire.Number, n int64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), uint64(n))
}

func FuzzCheck(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/*.onnx")
	more, _ := filepath.Glob("testdata/*/*/*.onnx")
	for _, p := range append(paths, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, fs, err := Check(bytes.NewReader(b), int64(len(b)), Config{})
		if err != nil {
			if res != nil || fs != nil {
				t.Fatal("results with an error")
			}
			return
		}
		if res == nil || res.Nodes > len(b) || len(fs) > 12*(maxPerRule+1) {
			t.Fatalf("unbounded result: %+v, %d findings", res, len(fs))
		}
		for _, x := range fs {
			if x.Message == "" || x.Location.Offset > int64(len(b)) {
				t.Fatalf("bad finding %+v", x)
			}
		}
	})
}
