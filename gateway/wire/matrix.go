package wire

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// maxValues bounds rows×classes, the one allocation a response costs
// before it is read: the caller chooses both, but a misconfiguration
// should fail, not allocate gigabytes.
const maxValues = 1 << 24

// sumTolerance is how far a row of probabilities may sum from 1: float32
// rounding of ten or a thousand classes stays well inside it.
const sumTolerance = 1e-3

// newMatrix allocates rows×classes values and their row headers: the two
// allocations every decoded answer needs. flat is the same values in one
// row-major slice.
func newMatrix(rows, classes int) (m [][]float32, flat []float32, err error) {
	if rows < 1 || classes < 1 || rows > maxValues/classes {
		return nil, nil, fmt.Errorf("%d rows of %d classes: want at least 1 of each and at most %d values", rows, classes, maxValues)
	}
	flat = make([]float32, rows*classes)
	m = make([][]float32, rows)
	for i := range m {
		m[i] = flat[i*classes : (i+1)*classes : (i+1)*classes]
	}
	return m, flat, nil
}

// readRow reads an array of exactly len(dst) numbers into dst. Errors
// name it what, or what row n when n >= 0; they are only formatted on
// failure so the hot path builds no strings.
func readRow(b []byte, i, depth int, dst []float32, what string, n int) (int, error) {
	count := 0
	end, err := eachElem(b, i, depth, func(idx, vs int) (int, error) {
		if idx >= len(dst) {
			return 0, fmt.Errorf("%s has more than %d values", rowName(what, n), len(dst))
		}
		v, end, err := parseFloat32(b, vs)
		if err != nil {
			return 0, fmt.Errorf("%s value %d: %w", rowName(what, n), idx, err)
		}
		dst[idx] = v
		count = idx + 1
		return end, nil
	})
	if err != nil {
		return 0, err
	}
	if count != len(dst) {
		return 0, fmt.Errorf("%s has %d values, expected %d", rowName(what, n), count, len(dst))
	}
	return end, nil
}

func rowName(what string, n int) string {
	if n < 0 {
		return what
	}
	return what + " row " + strconv.Itoa(n)
}

// readRows reads an array of rows into m: each element is handed to row,
// which fills m[idx].
func readRows(b []byte, i, depth int, m [][]float32, what string, row func(idx, vs int) (int, error)) (int, error) {
	n := 0
	end, err := eachElem(b, i, depth, func(idx, vs int) (int, error) {
		if idx >= len(m) {
			return 0, fmt.Errorf("%s has more than %d rows, expected %d", what, len(m), len(m))
		}
		n = idx + 1
		return row(idx, vs)
	})
	if err != nil {
		return 0, err
	}
	if n != len(m) {
		return 0, fmt.Errorf("%s has %d rows, expected %d", what, n, len(m))
	}
	return end, nil
}

// readNested reads [[...],...]: len(m) rows of len(m[0]) numbers.
func readNested(b []byte, i, depth int, m [][]float32, what string) (int, error) {
	return readRows(b, i, depth, m, what, func(idx, vs int) (int, error) {
		return readRow(b, vs, depth+1, m[idx], what, idx)
	})
}

// readTensor reads row-major tensor data of shape [len(m), len(m[0])],
// flat or nested as the Open Inference Protocol allows.
func readTensor(b []byte, i, depth int, m [][]float32, flat []float32, what string) (int, error) {
	j := ws(b, i+1)
	if i < len(b) && b[i] == '[' && j < len(b) && b[j] == '[' {
		return readNested(b, i, depth, m, what)
	}
	return readRow(b, i, depth, flat, what, -1)
}

// checkProbs holds every row to what the detectors and the hardening
// assume: finite, non-negative, summing to 1.
func checkProbs(m [][]float32, what string) error {
	for r, row := range m {
		var sum float64
		for c, v := range row {
			x := float64(v)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%s row %d class %d is not finite", what, r, c)
			}
			if x < 0 || x > 1 {
				return fmt.Errorf("%s row %d class %d is %g, not a probability", what, r, c, x)
			}
			sum += x
		}
		if math.Abs(sum-1) > sumTolerance {
			return fmt.Errorf("%s row %d sums to %g, not 1", what, r, sum)
		}
	}
	return nil
}

// softmax turns each row of logits into probabilities in place, shifting
// by the row's maximum so exp never overflows (the usual stable form).
func softmax(m [][]float32) {
	for _, row := range m {
		hi := math.Inf(-1)
		for _, v := range row {
			hi = math.Max(hi, float64(v))
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v) - hi)
			row[i] = float32(e)
			sum += e
		}
		for i := range row {
			row[i] = float32(float64(row[i]) / sum)
		}
	}
}

// checkBatch refuses a batch the upstream could not read as a matrix:
// empty, ragged, or holding values JSON cannot carry.
func checkBatch(batch [][]float32) (features int, err error) {
	if len(batch) == 0 {
		return 0, errors.New("empty batch")
	}
	features = len(batch[0])
	if features == 0 || len(batch) > maxValues/features {
		return 0, fmt.Errorf("batch of %d rows of %d features: want 1 to %d values", len(batch), features, maxValues)
	}
	for r, row := range batch {
		if len(row) != features {
			return 0, fmt.Errorf("batch row %d has %d features, expected %d", r, len(row), features)
		}
		for c, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return 0, fmt.Errorf("batch row %d feature %d is not finite", r, c)
			}
		}
	}
	return features, nil
}

// appendRow writes [v,v,...], each value as appendValue does.
func appendRow(dst []byte, row []float32) []byte {
	return append(appendValues(append(dst, '['), row, false), ']')
}

// appendFlat writes the batch as one flat row-major array.
func appendFlat(dst []byte, batch [][]float32) []byte {
	dst = append(dst, '[')
	for r, row := range batch {
		dst = appendValues(dst, row, r > 0)
	}
	return append(dst, ']')
}

// appendValues writes row's values separated by commas, with a leading
// comma when more is true.
func appendValues(dst []byte, row []float32, more bool) []byte {
	for i, v := range row {
		if more || i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, v)
	}
	return dst
}

// appendValue writes v as the shortest decimal that reads back as the same
// float32, so the upstream sees exactly the validated input. Whole numbers
// below a million, common in model inputs (pixels, counts, one-hot
// features), are written as integers directly: what strconv's shortest 'g'
// writes for them, at a fraction of its cost.
func appendValue(dst []byte, v float32) []byte {
	if v > -1e6 && v < 1e6 && v == float32(int32(v)) && (v != 0 || !math.Signbit(float64(v))) {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
}

// appendRows writes the batch as an array of rows.
func appendRows(dst []byte, batch [][]float32) []byte {
	dst = append(dst, '[')
	for r, row := range batch {
		if r > 0 {
			dst = append(dst, ',')
		}
		dst = appendRow(dst, row)
	}
	return append(dst, ']')
}

// bodySize guesses the encoded size (a float32 takes at most 15 bytes as
// 'g' -1) so the body is allocated once.
func bodySize(fixed int, batch [][]float32, features int) int {
	return fixed + len(batch)*(features*16+2) + 2
}
