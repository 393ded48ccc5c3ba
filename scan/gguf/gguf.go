// Package gguf checks GGUF model files (llama.cpp, ggml) by reading only
// the header, the metadata key-value pairs and the tensor infos, never the
// tensor data, so the cost of a check does not depend on the file size.
//
// Reference: the GGUF specification, ggml-org/ggml docs/gguf.md: the
// magic "GGUF"; a uint32 version (1 with 32-bit counts and lengths, 2 and
// 3 with 64-bit ones; 3 allows big-endian files, recognised here by their
// byte-swapped version); uint64 tensor_count and metadata_kv_count; the
// key-value pairs (a string key of at most 65535 bytes, a uint32 value
// type, the value: integers, floats, bool, length-prefixed UTF-8 strings,
// arrays of any type including arrays); the tensor infos (a name of at
// most 64 bytes, n_dimensions, the dimensions, the ggml_type, an offset
// relative to the data section and a multiple of general.alignment,
// default 32); then padding to the alignment and the tensor data. Block
// sizes and type sizes of the ggml types come from enum ggml_type and the
// block structs of ggml's ggml-common.h.
//
// Every count and length is checked against the bytes left in the file
// before anything is allocated. Breaks of the format are MW315 findings,
// exceeded scanner bounds MW202; chat templates (tokenizer.chat_template
// and tokenizer.chat_template.<name>, or any string that looks like a
// Jinja template) go to package jinja (MW316), and executables hidden in
// metadata strings are MW107.
package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/modelward/modelward/finding"
)

// Magic starts every GGUF file.
const Magic = "GGUF"

// ErrNotGGUF is returned when the input does not start with Magic.
var ErrNotGGUF = errors.New("gguf: not a GGUF file (bad magic)")

// Defaults for zero Config fields.
const (
	DefaultMaxStringBytes = 64 << 20
	DefaultMaxCount       = 1_000_000
	// maxNesting bounds arrays of arrays; real files use one level.
	maxNesting = 4
	// maxStringElems bounds the string elements read across all arrays
	// (a large vocabulary has a few hundred thousand tokens and merges).
	maxStringElems = 16_000_000
	// maxFindings bounds the findings of one file.
	maxFindings = 200
	// metadataValueMax is how much of each string value Result keeps.
	metadataValueMax = 1024
)

// Config bounds a check; zero fields take the defaults.
type Config struct {
	Location       finding.Location
	MaxStringBytes int64 // longest string read (default 64 MiB)
	MaxCount       int64 // most tensors, and most key-value pairs (default 1,000,000)
}

// Result is what the header says.
type Result struct {
	Version      uint32
	BigEndian    bool
	Tensors      int
	Metadata     map[string]string // string-valued keys only, values truncated
	Architecture string
	Alignment    int64
}

// Is reports whether head starts with the GGUF magic.
func Is(head []byte) bool { return bytes.HasPrefix(head, []byte(Magic)) }

// Check parses and checks a GGUF file of size bytes. It returns an error
// only when the input is not GGUF or cannot be read; every problem with
// the content is a finding.
func Check(r io.ReaderAt, size int64, cfg Config) (*Result, []finding.Finding, error) {
	if cfg.MaxStringBytes <= 0 {
		cfg.MaxStringBytes = DefaultMaxStringBytes
	}
	if cfg.MaxCount <= 0 {
		cfg.MaxCount = DefaultMaxCount
	}
	var head [8]byte
	if size < 8 {
		return nil, nil, ErrNotGGUF
	}
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, nil, fmt.Errorf("gguf: reading header: %w", ioErr(err))
	}
	if !Is(head[:]) {
		return nil, nil, ErrNotGGUF
	}
	c := &checker{cfg: cfg, rd: newReader(r, size), res: &Result{Metadata: map[string]string{}, Alignment: 32}}
	err := c.run()
	var fe *formatError
	if errors.As(err, &fe) {
		c.fail(fe)
		err = nil
	}
	if err != nil {
		return c.res, c.out, err
	}
	return c.res, c.out, nil
}

// checker holds the state of one check.
type checker struct {
	cfg      Config
	rd       *reader
	res      *Result
	out      []finding.Finding
	dropped  int
	strElems int64
	align    alignment
	tensors  []tensorInfo
	keys     map[string]bool
}

type alignment struct {
	set   bool
	value uint64
	off   int64
}

func (c *checker) run() error {
	if err := c.version(); err != nil {
		return err
	}
	nt, err := c.headerCount("tensor_count", c.rd.lenSize()+16)
	if err != nil {
		return err
	}
	nkv, err := c.headerCount("metadata_kv_count", c.rd.lenSize()+5)
	if err != nil {
		return err
	}
	if err := c.metadata(nkv); err != nil {
		return err
	}
	c.applyAlignment()
	if err := c.tensorInfos(nt); err != nil {
		return err
	}
	c.spans()
	c.res.Tensors = len(c.tensors)
	return nil
}

// version reads the version and the byte order it implies: a big-endian
// file stores 3 as 03000000 read little-endian.
func (c *checker) version() error {
	if err := c.rd.skip(4, "magic"); err != nil {
		return err
	}
	v, err := c.rd.u32("version")
	if err != nil {
		return err
	}
	if sw := bits.ReverseBytes32(v); (v < 1 || v > 3) && sw >= 1 && sw <= 3 {
		c.rd.order, c.res.BigEndian, v = binary.BigEndian, true, sw
	}
	if v < 1 || v > 3 {
		return breakAt(4, "unsupported GGUF version %d (known: 1, 2, 3)", v)
	}
	c.res.Version = v
	c.rd.wide = v >= 2
	return nil
}

// headerCount reads a count and checks it against the scanner bound and
// against what the rest of the file can hold at minSize bytes per entry.
func (c *checker) headerCount(what string, minSize int64) (int64, error) {
	off := c.rd.pos
	n, err := c.rd.count(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(c.rd.left()/minSize) {
		return 0, breakAt(off, "%s is %d, but the %d bytes left in the file hold at most %d entries", what, n, c.rd.left(), c.rd.left()/minSize)
	}
	if n > uint64(c.cfg.MaxCount) {
		return 0, limitAt(off, "%s is %d, over the scanner's limit of %d", what, n, c.cfg.MaxCount)
	}
	return int64(n), nil
}
