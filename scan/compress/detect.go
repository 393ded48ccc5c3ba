package compress

import (
	"bytes"
	"encoding/binary"
)

// Detect names the compression of a file from its first bytes (give at
// least 32 when the file has them). It checks more than joblib's one- or
// two-byte prefixes, so that a plain pickle (0x80, or a protocol 0 or 1
// opcode such as '(' or ']'), a zip archive or text is never taken for
// compressed data.
func Detect(head []byte) (Method, bool) {
	checks := []struct {
		m  Method
		ok func([]byte) bool
	}{
		{ZFZlib, isZF},
		{Zlib, isZlib},
		{Gzip, isGzip},
		{Bz2, isBzip2},
		{XZ, isXZ},
		{LZMA, isLZMA},
		{LZ4, isLZ4},
		{Zstd, isZstd},
	}
	for _, c := range checks {
		if c.ok(head) {
			return c.m, true
		}
	}
	return "", false
}

// isZlib checks the RFC 1950 header: CMF 0x78 (deflate, 32 KiB window;
// joblib detects exactly 'x'), FCHECK making CMF*256+FLG a multiple of
// 31, no preset dictionary, and, when present, a first deflate block type
// other than the reserved 3.
func isZlib(h []byte) bool {
	if len(h) < 2 || h[0] != 0x78 || (uint(h[0])<<8|uint(h[1]))%31 != 0 || h[1]&0x20 != 0 {
		return false
	}
	return len(h) < 3 || (h[2]>>1)&3 != 3
}

// isGzip checks RFC 1952: ID1 ID2, method 8 (deflate), no reserved flags.
func isGzip(h []byte) bool {
	return len(h) >= 10 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && h[3]&0xe0 == 0
}

// isBzip2 checks "BZh", a block size digit, and the magic of the first
// block (pi) or of the end of stream (sqrt pi) for an empty stream.
func isBzip2(h []byte) bool {
	if len(h) < 10 || string(h[:3]) != "BZh" || h[3] < '1' || h[3] > '9' {
		return false
	}
	magic := string(h[4:10])
	return magic == "\x31\x41\x59\x26\x53\x59" || magic == "\x17\x72\x45\x38\x50\x90"
}

// isXZ checks the stream header magic and that the reserved flag bits
// are zero.
func isXZ(h []byte) bool {
	return len(h) >= 8 && string(h[:6]) == "\xfd7zXZ\x00" && h[6] == 0 && h[7]&0xf0 == 0
}

// isLZMA checks the .lzma header joblib writes and detects (prefix
// "]\x00": the default properties lc=3 lp=0 pb=2, and a dictionary size
// whose low byte is zero), and a size field that is unknown (all ones) or
// below 256 GiB, as xz-utils does to tell .lzma files from other data.
func isLZMA(h []byte) bool {
	if len(h) < lzmaHeaderLen || h[0] != 0x5d || h[1] != 0 {
		return false
	}
	size := binary.LittleEndian.Uint64(h[5:13])
	return size == ^uint64(0) || size < 1<<38
}

// isLZ4 checks the LZ4 frame magic and the frame descriptor's version
// bits (01).
func isLZ4(h []byte) bool {
	return len(h) >= 5 && bytes.HasPrefix(h, lz4FrameMagic) && h[4]>>6 == 1
}

// isZF checks the old joblib header: "ZF", a hex length left-justified
// in its field, then a zlib header (after one more space for files from
// joblib <= 0.8.4).
func isZF(h []byte) bool {
	if len(h) < zfHeadLen+2 || string(h[:2]) != zfPrefix {
		return false
	}
	if _, ok := parseZFLength(h[2:zfHeadLen]); !ok {
		return false
	}
	rest := h[zfHeadLen:]
	if rest[0] == ' ' {
		rest = rest[1:]
	}
	return isZlib(rest)
}
