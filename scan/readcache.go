package scan

import (
	"io"
	"sync"
)

// blockCache serves small reads from a few cached 64 KiB blocks. A PyTorch
// checkpoint has a zip member per tensor; reading each member's headers and
// first bytes with a system call apiece was most of the cost of scanning
// one with 20,000 tensors. Large reads bypass the cache.
type blockCache struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	blk  [4]cacheBlock
	next int
}

type cacheBlock struct {
	off int64
	buf []byte // nil until loaded
}

const blockSize = 64 << 10

func newBlockCache(r io.ReaderAt, size int64) *blockCache {
	return &blockCache{r: r, size: size}
}

func (c *blockCache) ReadAt(p []byte, off int64) (int, error) {
	start := off &^ (blockSize - 1)
	if len(p) > blockSize/4 || off < 0 || off+int64(len(p)) > start+blockSize {
		return c.r.ReadAt(p, off)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.block(start)
	if err != nil {
		return 0, err
	}
	i := int(off - start)
	if i >= len(b) {
		return 0, io.EOF
	}
	n := copy(p, b[i:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c *blockCache) block(start int64) ([]byte, error) {
	for i := range c.blk {
		if c.blk[i].buf != nil && c.blk[i].off == start {
			return c.blk[i].buf, nil
		}
	}
	slot := &c.blk[c.next]
	c.next = (c.next + 1) % len(c.blk)
	if cap(slot.buf) < blockSize {
		slot.buf = make([]byte, blockSize)
	}
	n, err := c.r.ReadAt(slot.buf[:min(blockSize, max(c.size-start, 0))], start)
	if err != nil && err != io.EOF {
		slot.buf = nil
		return nil, err
	}
	slot.off, slot.buf = start, slot.buf[:n]
	return slot.buf, nil
}
