// Package digits is modelward's demo victim: the UCI optical recognition of
// handwritten digits data (8x8 images of pixel counts 0..16) and a small
// classifier trained on it in pure Go, saved as safetensors and served over
// the Open Inference Protocol by package oip. The gateway's tests,
// benchmarks and extraction-attack harness run against it.
//
// Everything is deterministic: the split and the training depend only on
// their seeds, so the committed model (testdata/digits-mlp.safetensors) is
// reproduced bit for bit by its test.
package digits

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
)

const (
	// Features is the number of inputs: an 8x8 image read row by row.
	Features = 64
	// Classes is the number of digits.
	Classes = 10
	// MaxPixel is the largest pixel value (the set pixels of a 4x4 block).
	MaxPixel = 16

	// MaxRows bounds what Load accepts (the data set has 1,797).
	MaxRows = 100_000
	// maxLine bounds one CSV line: 65 fields of at most a few characters.
	maxLine = 1024
	// maxCSVBytes bounds the decompressed input Load reads.
	maxCSVBytes = MaxRows * maxLine
)

//go:embed testdata/digits.csv.gz
var embeddedCSV []byte

// Dataset holds rows of Features pixel values and their labels.
type Dataset struct {
	// X holds the rows one after another: row i is X[i*Features:(i+1)*Features].
	X []float32
	// Y holds the label (0..9) of each row.
	Y []uint8
}

// Len returns the number of rows.
func (d *Dataset) Len() int { return len(d.Y) }

// Row returns row i's pixels (a slice of X, not a copy).
func (d *Dataset) Row(i int) []float32 { return d.X[i*Features : (i+1)*Features : (i+1)*Features] }

// UCI returns the committed copy of the UCI digits data (1,797 rows; see
// testdata/README.md for its source and licence).
func UCI() *Dataset {
	d, err := Load(bytes.NewReader(embeddedCSV))
	if err != nil {
		panic("digits: the embedded data set does not load: " + err.Error())
	}
	return d
}

// Load reads the data set as CSV: one row a line, 64 integer pixel values
// 0..16 then the label 0..9, comma separated, no header. Gzip-compressed
// input is recognised by its magic bytes. Input is hostile: Load reads at
// most MaxRows rows of at most 1 KiB each and rejects anything else with
// the line number of the first problem.
func Load(r io.Reader) (*Dataset, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("digits: reading the gzip header: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	lr := &io.LimitedReader{R: br, N: maxCSVBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, maxLine), maxLine)
	d := &Dataset{}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if len(text) > 0 && text[len(text)-1] == '\r' {
			text = text[:len(text)-1]
		}
		if len(text) == 0 {
			return nil, fmt.Errorf("digits: line %d is empty", line)
		}
		if d.Len() == MaxRows {
			return nil, fmt.Errorf("digits: more than %d rows", MaxRows)
		}
		if err := d.appendRow(text); err != nil {
			return nil, fmt.Errorf("digits: line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("digits: line %d is longer than %d bytes", line+1, maxLine)
		}
		return nil, fmt.Errorf("digits: reading line %d: %w", line+1, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("digits: input larger than %d bytes", maxCSVBytes)
	}
	if d.Len() == 0 {
		return nil, errors.New("digits: no rows")
	}
	return d, nil
}

// appendRow parses one line of 65 integers.
func (d *Dataset) appendRow(text []byte) error {
	var row [Features + 1]int
	n := 0
	for field := range bytes.SplitSeq(text, []byte{','}) {
		if n == len(row) {
			return fmt.Errorf("more than %d fields", len(row))
		}
		v, err := strconv.Atoi(string(field))
		if err != nil {
			return fmt.Errorf("field %d: %q is not an integer", n+1, truncate(field))
		}
		row[n] = v
		n++
	}
	if n != len(row) {
		return fmt.Errorf("%d fields, want %d (64 pixels and the label)", n, len(row))
	}
	for i, v := range row[:Features] {
		if v < 0 || v > MaxPixel {
			return fmt.Errorf("pixel %d is %d, outside 0..%d", i+1, v, MaxPixel)
		}
	}
	if label := row[Features]; label < 0 || label >= Classes {
		return fmt.Errorf("label %d is outside 0..%d", label, Classes-1)
	}
	for _, v := range row[:Features] {
		d.X = append(d.X, float32(v))
	}
	d.Y = append(d.Y, uint8(row[Features]))
	return nil
}

func truncate(b []byte) string {
	if len(b) > 16 {
		return string(b[:16]) + "..."
	}
	return string(b)
}

// Split divides d into a training and a test set, stratified: each digit's
// rows are shuffled with seed and testFraction of them (rounded) go to the
// test set. Both sets keep the rows in their order in d. The result
// depends only on d, testFraction and seed.
func Split(d *Dataset, testFraction float64, seed uint64) (train, test *Dataset) {
	testFraction = min(max(testFraction, 0), 1)
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c776172)) // "modelwar"
	isTest := make([]bool, d.Len())
	for c := range uint8(Classes) {
		var idx []int
		for i, y := range d.Y {
			if y == c {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(float64(len(idx))*testFraction + 0.5)
		for _, i := range idx[:k] {
			isTest[i] = true
		}
	}
	train, test = &Dataset{}, &Dataset{}
	for i := range d.Y {
		dst := train
		if isTest[i] {
			dst = test
		}
		dst.X = append(dst.X, d.Row(i)...)
		dst.Y = append(dst.Y, d.Y[i])
	}
	return train, test
}

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	return &Dataset{X: slices.Clone(d.X), Y: slices.Clone(d.Y)}
}
