package compress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// xzBlockOffsets lists the block offsets of a single-stream .xz file from
// its index (found through the stream footer), independently of the
// reader's own walk over the blocks.
func xzBlockOffsets(t testing.TB, data []byte) []int {
	t.Helper()
	footer := data[len(data)-12:]
	indexLen := (int(binary.LittleEndian.Uint32(footer[4:8])) + 1) * 4
	index := data[len(data)-12-indexLen:]
	if index[0] != 0 {
		t.Fatal("no index indicator")
	}
	count, pos := varint(index, 1)
	offsets := []int{}
	off := 12
	for range count {
		offsets = append(offsets, off)
		var unpadded uint64
		unpadded, pos = varint(index, pos)
		_, pos = varint(index, pos)
		off += (int(unpadded) + 3) &^ 3
	}
	return offsets
}

// patchXZDicts sets the LZMA2 dictionary code in every block header to
// code, as a hostile file would, and fixes the header checksums.
func patchXZDicts(t testing.TB, data []byte, code byte) []byte {
	t.Helper()
	out := bytes.Clone(data)
	for _, off := range xzBlockOffsets(t, out) {
		h := out[off : off+(int(out[off])+1)*4]
		i := bytes.Index(h[2:], []byte{0x21, 0x01})
		if i < 0 {
			t.Fatalf("no LZMA2 filter in block header at %d", off)
		}
		h[2+i+2] = code
		binary.LittleEndian.PutUint32(h[len(h)-4:], crc32.ChecksumIEEE(h[:len(h)-4]))
	}
	return out
}

func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestXZHugeDictionary: a block header asking for a 4 GiB dictionary must
// not make the reader allocate it; output is unchanged.
func TestXZHugeDictionary(t *testing.T) {
	data, err := os.ReadFile("testdata/payload.xz")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("testdata/payload.pkl")
	hostile := patchXZDicts(t, data, 40)
	var out []byte
	alloc := allocDuring(func() {
		out, err = readAll(t, XZ, hostile, Limits{MaxBytes: 1 << 20})
	})
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("decoded %d bytes, %v", len(out), err)
	}
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

// buildXZ writes a single-stream .xz file by hand, one block per part,
// each holding one uncompressed LZMA2 chunk, with CRC32 checks: a second
// writer, independent of the reader under test, that can state any
// dictionary size and, if sizes is set, each block's sizes.
func buildXZ(parts [][]byte, dictCode byte, sizes bool) []byte {
	le32 := binary.LittleEndian.AppendUint32
	out := []byte("\xfd7zXZ\x00\x00\x01")
	out = le32(out, crc32.ChecksumIEEE([]byte{0, 1}))
	var index []byte
	for _, p := range parts {
		data := append([]byte{1, byte((len(p) - 1) >> 8), byte(len(p) - 1)}, p...)
		data = append(data, 0)
		hdr := []byte{0, 0}
		if sizes {
			hdr[1] = 0xc0
			hdr = appendVarint(appendVarint(hdr, uint64(len(data))), uint64(len(p)))
		}
		hdr = append(hdr, 0x21, 0x01, dictCode)
		for (len(hdr)+4)%4 != 0 {
			hdr = append(hdr, 0)
		}
		hdr[0] = byte((len(hdr)+4)/4 - 1)
		hdr = le32(hdr, crc32.ChecksumIEEE(hdr))
		unpadded := len(hdr) + len(data) + 4
		out = append(append(out, hdr...), data...)
		for len(data)%4 != 0 {
			out, data = append(out, 0), append(data, 0)
		}
		out = le32(out, crc32.ChecksumIEEE(p))
		index = appendVarint(appendVarint(index, uint64(unpadded)), uint64(len(p)))
	}
	index = append(appendVarint([]byte{0}, uint64(len(parts))), index...)
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	index = le32(index, crc32.ChecksumIEEE(index))
	out = append(out, index...)
	back := le32(nil, uint32(len(index)/4-1))
	back = append(back, 0, 1)
	out = le32(out, crc32.ChecksumIEEE(back))
	return append(append(out, back...), 'Y', 'Z')
}

func appendVarint(b []byte, n uint64) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

func xzParts(n int) ([][]byte, []byte) {
	var parts [][]byte
	var plain []byte
	for i := range n {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, 100+i)
		parts = append(parts, p)
		plain = append(plain, p...)
	}
	return parts, plain
}

// TestXZManyHugeBlocks: blocks that each ask for 4 GiB are decoded with
// capped dictionaries, and when there are too many the budget stops the
// file with ErrLimit, having allocated no more than the budget.
func TestXZManyHugeBlocks(t *testing.T) {
	parts, plain := xzParts(50)
	for _, c := range []struct {
		sizes bool
		max   int64
		ok    bool
	}{
		{false, 1 << 20, true},   // 50 * 1.5 MiB fits the budget
		{false, 64 << 20, false}, // 50 * 64 MiB does not
		{true, 64 << 20, true},   // stated sizes cap each block at 4 KiB
	} {
		data := buildXZ(parts, 40, c.sizes)
		var out []byte
		var err error
		alloc := allocDuring(func() {
			out, err = readAll(t, XZ, data, Limits{MaxBytes: c.max})
		})
		if c.ok && (err != nil || !bytes.Equal(out, plain)) {
			t.Errorf("%+v: decoded %d bytes, %v", c, len(out), err)
		}
		if !c.ok && !errors.Is(err, ErrLimit) {
			t.Errorf("%+v: got %v, want ErrLimit", c, err)
		}
		if alloc > maxDictBudget+32<<20 {
			t.Errorf("%+v: allocated %d MiB", c, alloc>>20)
		}
	}
}

// TestXZHandBuilt checks the hand-built files decode as written, with a
// plain dictionary size, so the tests above test the cap, not the writer.
func TestXZHandBuilt(t *testing.T) {
	parts, plain := xzParts(3)
	for _, sizes := range []bool{false, true} {
		out, err := readAll(t, XZ, buildXZ(parts, 0, sizes), Limits{})
		if err != nil || !bytes.Equal(out, plain) {
			t.Errorf("sizes %v: %d bytes, %v", sizes, len(out), err)
		}
	}
}

// TestLZMAHugeDictionary: the same for a .lzma header.
func TestLZMAHugeDictionary(t *testing.T) {
	data, err := os.ReadFile("testdata/multi.lzma")
	if err != nil {
		t.Fatal(err)
	}
	hostile := bytes.Clone(data)
	binary.LittleEndian.PutUint32(hostile[1:5], 0xffffffff)
	var out []byte
	alloc := allocDuring(func() {
		out, err = readAll(t, LZMA, hostile, Limits{MaxBytes: 1 << 20})
	})
	if err != nil || len(out) != 746 {
		t.Fatalf("decoded %d bytes, %v", len(out), err)
	}
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

func TestXZGuardRejectsBadHeaderChecksum(t *testing.T) {
	data, _ := os.ReadFile("testdata/payload.xz")
	bad := bytes.Clone(data)
	bad[12+3] ^= 1 // inside the first block header
	_, err := readAll(t, XZ, bad, Limits{})
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("got %v", err)
	}
}

func TestXZStreamPadding(t *testing.T) {
	data, _ := os.ReadFile("testdata/payload.xz")
	want, _ := os.ReadFile("testdata/payload.pkl")
	padded := append(bytes.Clone(data), 0, 0, 0, 0, 0, 0, 0, 0)
	padded = append(padded, data...)
	out, err := readAll(t, XZ, padded, Limits{})
	if err != nil || !bytes.Equal(out, append(bytes.Clone(want), want...)) {
		t.Errorf("padded streams: %d bytes, %v", len(out), err)
	}
}

func TestZFVariants(t *testing.T) {
	data, _ := os.ReadFile("testdata/payload.zf")
	want, _ := os.ReadFile("testdata/payload.pkl")
	// joblib <= 0.8.4 under Python 2 wrote a field one byte wider.
	wide := append(append(bytes.Clone(data[:zfHeadLen]), ' '), data[zfHeadLen:]...)
	if m, ok := Detect(wide); !ok || m != ZFZlib {
		t.Errorf("wide header detected as %q %v", m, ok)
	}
	if out, err := readAll(t, ZFZlib, wide, Limits{}); err != nil || !bytes.Equal(out, want) {
		t.Errorf("wide header: %d bytes, %v", len(out), err)
	}
	short := bytes.Replace(bytes.Clone(data), []byte("0x2cc"), []byte("0x2cb"), 1)
	if _, err := readAll(t, ZFZlib, short, Limits{}); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("declared too short: %v", err)
	}
	long := bytes.Replace(bytes.Clone(data), []byte("0x2cc"), []byte("0x2cd"), 1)
	if _, err := readAll(t, ZFZlib, long, Limits{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("declared too long: %v", err)
	}
	huge := bytes.Replace(bytes.Clone(data), []byte("0x2cc "), []byte("0xffffff"), 1)
	if _, err := readAll(t, ZFZlib, huge, Limits{MaxBytes: 1 << 20}); !errors.Is(err, ErrLimit) {
		t.Errorf("declared over the limit: %v", err)
	}
}

func TestTrailingBytes(t *testing.T) {
	want, _ := os.ReadFile("testdata/payload.pkl")
	lz4data, _ := os.ReadFile("testdata/payload.lz4")
	out, err := readAll(t, LZ4, append(bytes.Clone(lz4data), "not a frame"...), Limits{})
	if err != nil || !bytes.Equal(out, want) {
		t.Errorf("lz4 with trailing bytes: %d bytes, %v", len(out), err)
	}
	lzmaData, _ := os.ReadFile("testdata/payload.lzma")
	_, err = readAll(t, LZMA, append(bytes.Clone(lzmaData), 0x5d, 0, 0), Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("lzma with a header fragment after it: %v", err)
	}
}
