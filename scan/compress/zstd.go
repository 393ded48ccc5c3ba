package compress

import (
	"bufio"
	"io"

	"github.com/klauspost/compress/zstd"
)

// zstdMagic starts every Zstandard frame (RFC 8878, section 3.1.1).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

func isZstd(h []byte) bool {
	return len(h) >= 5 && string(h[:4]) == string(zstdMagic)
}

// maxZstdWindow caps the window a frame may ask for. The format allows up
// to 3.75 TiB; the reference decoder refuses more than 128 MiB unless told
// otherwise, and so does this one, so a header cannot make us allocate.
const maxZstdWindow = 128 << 20

// openZstd decodes concatenated Zstandard frames (skippable frames are
// skipped) on the calling goroutine, with the window and decoder memory
// bounded by the output limit.
func openZstd(br *bufio.Reader, lim Limits) (io.Reader, error) {
	window := uint64(maxZstdWindow)
	if lim.MaxBytes > 0 && uint64(lim.MaxBytes) < window {
		window = max(uint64(lim.MaxBytes), zstd.MinWindowSize)
	}
	d, err := zstd.NewReader(br,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(window),
		zstd.WithDecoderMaxMemory(uint64(max(lim.MaxBytes, 1<<20))))
	if err != nil {
		return nil, err
	}
	return zstdReader{d}, nil
}

// zstdReader lets Close release the decoder.
type zstdReader struct{ d *zstd.Decoder }

func (z zstdReader) Read(p []byte) (int, error) { return z.d.Read(p) }
func (z zstdReader) Close() error               { z.d.Close(); return nil }
