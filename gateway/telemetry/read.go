package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes bounds a line of telemetry, newline excluded. The writer
// caps record fields so that it never writes a longer one.
const MaxLineBytes = 64 << 10

// Read calls fn with each record of JSON Lines read from r, in order, and
// stops at the first error: a line longer than MaxLineBytes, a line that is
// not exactly one Record (see decodeLine), a read error, or fn's own error,
// which is returned as is.
func Read(r io.Reader, fn func(Record) error) error {
	sc := bufio.NewScanner(r)
	// +1 leaves room for a "\r" that ScanLines strips.
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes+1)
	n := 0
	for sc.Scan() {
		n++
		rec, err := decodeLine(sc.Bytes())
		if err != nil {
			return fmt.Errorf("telemetry: line %d: %w", n, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("telemetry: line %d: longer than %d bytes", n+1, MaxLineBytes)
	case err != nil:
		return fmt.Errorf("telemetry: after line %d: %w", n, err)
	}
	return nil
}

// recordFields are Record's JSON names. encoding/json alone would match
// names case-insensitively and let a repeated name overwrite the first.
// Each maps to its bit in a mask of the names seen.
var recordFields = map[string]uint16{
	"time": 1 << 0, "request_id": 1 << 1, "client": 1 << 2, "model": 1 << 3,
	"version": 1 << 4, "row": 1 << 5, "input_digest": 1 << 6, "label": 1 << 7,
	"confidence": 1 << 8, "degraded": 1 << 9, "detector": 1 << 10,
	"score": 1 << 11, "status": 1 << 12,
}

// decodeLine decodes one JSON object whose members are Record's fields,
// each at most once, spelled exactly, with a non-null scalar value.
func decodeLine(line []byte) (Record, error) {
	var rec Record
	if len(line) > MaxLineBytes {
		return rec, fmt.Errorf("longer than %d bytes", MaxLineBytes)
	}
	if err := checkShape(line); err != nil {
		return rec, err
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return rec, err
	}
	return rec, nil
}

// checkShape walks the line's tokens: one flat object, known names only.
func checkShape(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	var seen uint16
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		bit := recordFields[name]
		if bit == 0 || seen&bit != 0 {
			return fmt.Errorf("unknown or repeated field %q", name)
		}
		seen |= bit
		if v, err := dec.Token(); err != nil {
			return err
		} else if _, nested := v.(json.Delim); nested || v == nil {
			return fmt.Errorf("field %q: not a scalar value", name)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}
