package proxy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// MaxCalibrationRows bounds a benign set read by ReadRows.
const MaxCalibrationRows = 1_000_000

// ReadRows reads benign inputs as CSV: one row per line, features numbers
// per row. A first line that does not parse as numbers is a header and is
// skipped. Every value must be finite; rows of another width, more than
// maxRows rows, and anything else malformed are errors naming the line.
func ReadRows(r io.Reader, features, maxRows int) ([][]float32, error) {
	if features < 1 || maxRows < 1 || maxRows > MaxCalibrationRows {
		return nil, fmt.Errorf("rows: need features >= 1 and maxRows in 1..%d", MaxCalibrationRows)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	cr.ReuseRecord = true
	var rows [][]float32
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("rows: %w", err) // csv's errors name the line
		}
		line, _ := cr.FieldPos(0) // blank lines and quoted newlines make records and lines differ
		row, err := parseRow(rec, features)
		if err != nil {
			if first && isHeader(rec) {
				continue
			}
			return nil, fmt.Errorf("rows: line %d: %w", line, err)
		}
		if len(rows) == maxRows {
			return nil, fmt.Errorf("rows: more than %d rows", maxRows)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("rows: no rows")
	}
	return rows, nil
}

func parseRow(rec []string, features int) ([]float32, error) {
	if len(rec) != features {
		return nil, fmt.Errorf("%d values, the model takes %d", len(rec), features)
	}
	row := make([]float32, features)
	for i, f := range rec {
		v, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("value %d (%.32q) is not a finite number", i+1, f)
		}
		row[i] = float32(v)
	}
	return row, nil
}

// isHeader tells a header line: no field parses as a number.
func isHeader(rec []string) bool {
	for _, f := range rec {
		if _, err := strconv.ParseFloat(f, 64); err == nil {
			return false
		}
	}
	return true
}
