package proxy

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The inference answer is the gateway's most frequent output; encoding it
// by hand (rather than through reflection and an interface-typed data
// field) saves a fifth of the answer's CPU. It produces what
// encoding/json would, which TestEncodeMatchesEncodingJSON checks.

var encodeBuf = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Header values every answer shares, set without Header.Set's slice per
// call. A header's value slices are only ever replaced, never written
// into, so sharing them is safe.
var (
	jsonType = []string{"application/json"}
	nosniff  = []string{"nosniff"}
)

// writeInfer writes resp as JSON with a Content-Length.
func writeInfer(w http.ResponseWriter, status int, resp *inferResponse) {
	bp := encodeBuf.Get().(*[]byte)
	b := appendInferResponse((*bp)[:0], resp)
	h := w.Header()
	h["Content-Type"], h["X-Content-Type-Options"] = jsonType, nosniff
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= 64<<10 { // do not keep an outsized buffer alive
		*bp = b
		encodeBuf.Put(bp)
	}
}

func appendInferResponse(b []byte, r *inferResponse) []byte {
	b = append(b, `{"model_name":`...)
	b = appendString(b, r.ModelName)
	if r.ModelVersion != "" {
		b = append(b, `,"model_version":`...)
		b = appendString(b, r.ModelVersion)
	}
	if r.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, r.ID)
	}
	b = append(b, `,"outputs":`...)
	if r.Outputs == nil {
		return append(b, "null}\n"...)
	}
	b = append(b, '[')
	for i, o := range r.Outputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTensor(b, &o)
	}
	return append(b, "]}\n"...)
}

func appendTensor(b []byte, t *responseTensor) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"datatype":`...)
	b = appendString(b, t.Datatype)
	b = append(b, `,"shape":[`...)
	for i, d := range t.Shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, d, 10)
	}
	b = append(b, `],"data":`...)
	switch d := t.Data.(type) {
	case []float32:
		b = append(b, '[')
		for i, v := range d {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat32(b, v)
		}
		b = append(b, ']')
	case []int64:
		b = append(b, '[')
		for i, v := range d {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, v, 10)
		}
		b = append(b, ']')
	default:
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// appendFloat32 formats v as encoding/json does: the shortest decimal that
// reads back as the same float32, in exponent form only for magnitudes
// below 1e-6 or from 1e21, with a two-digit exponent trimmed to one.
// Hardened outputs are always finite; a non-finite value (which JSON
// cannot carry) is written as 0 rather than break the document.
func appendFloat32(b []byte, v float32) []byte {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 32)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString writes s as a JSON string the way encoding/json does:
// quotes, backslashes and control characters escaped, <, > and & escaped
// for HTML safety, U+2028 and U+2029 escaped, invalid UTF-8 replaced.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
