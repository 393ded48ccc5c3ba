package wire

import (
	"fmt"
	"strconv"
)

// Readers for the few typed values the codecs need besides numbers.

// readString reads a value that must be a string.
func readString(b []byte, i int, what string) (string, int, error) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, fmt.Errorf("%s is not a string", what)
	}
	end, esc, err := scanString(b, i)
	if err != nil {
		return "", 0, err
	}
	s, err := stringValue(b, i, end, esc)
	return s, end, err
}

// stringIs reads a value that must be a string and reports whether it is
// want, without allocating.
func stringIs(b []byte, i int, what, want string) (bool, int, error) {
	if i >= len(b) || b[i] != '"' {
		return false, 0, fmt.Errorf("%s is not a string", what)
	}
	end, esc, err := scanString(b, i)
	if err != nil {
		return false, 0, err
	}
	return keyIs(b, i, end, esc, want), end, nil
}

// maxDims bounds the tensor shapes read: outputs of interest have two.
const maxDims = 8

// readShape reads a tensor shape and reports whether it is [rows, cols].
func readShape(b []byte, i, rows, cols int) (bool, int, error) {
	var dims [maxDims]int64
	n := 0
	end, err := eachElem(b, i, 3, func(idx, vs int) (int, error) {
		if idx >= maxDims {
			return 0, fmt.Errorf("shape has more than %d dimensions", maxDims)
		}
		end, err := scanNumber(b, vs)
		if err != nil {
			return 0, err
		}
		d, err := strconv.ParseInt(string(b[vs:end]), 10, 64)
		if err != nil || d < 0 {
			return 0, synErr(b, vs, "shape dimension is not a non-negative integer")
		}
		dims[idx], n = d, idx+1
		return end, nil
	})
	if err != nil {
		return false, 0, err
	}
	return n == 2 && dims[0] == int64(rows) && dims[1] == int64(cols), end, nil
}
