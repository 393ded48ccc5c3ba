package proxy

import (
	"io"
	"math"
	"strconv"
	"sync"
	"time"
)

// requestLine is the one JSON line logged per request, with the fields
// and order slog's JSON handler gives the same record (time, level, msg,
// then the attributes), so a log reader sees one format whichever writes
// it. It is encoded by hand: through slog, formatting this line (its
// floats go through encoding/json) was a twentieth of the gateway's CPU.
type requestLine struct {
	at        time.Time
	principal string
	model     string
	method    string
	status    int
	latency   time.Duration
	upstream  string // "" when no upstream was called
	flagged   bool
	detector  string
	score     float64
	reason    string // "" unless this request raised the flag
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeTo writes the line to w in one Write, so that lines from
// concurrent requests never interleave.
func (l *requestLine) writeTo(w io.Writer) error {
	bp := lineBufs.Get().(*[]byte)
	b := l.append((*bp)[:0])
	_, err := w.Write(b)
	*bp = b
	lineBufs.Put(bp)
	return err
}

func (l *requestLine) append(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = l.at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","principal":`...)
	b = appendString(b, l.principal)
	b = append(b, `,"model":`...)
	b = appendString(b, l.model)
	b = append(b, `,"method":`...)
	b = appendString(b, l.method)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, `,"latency_ms":`...)
	b = appendMillis(b, l.latency)
	if l.upstream != "" {
		b = append(b, `,"upstream":`...)
		b = appendString(b, l.upstream)
	}
	if l.flagged {
		b = append(b, `,"detector":`...)
		b = appendString(b, l.detector)
		b = append(b, `,"score":`...)
		b = appendScore(b, l.score)
		if l.reason != "" {
			b = append(b, `,"reason":`...)
			b = appendString(b, l.reason)
		}
	}
	return append(b, "}\n"...)
}

// appendMillis writes d in milliseconds with microsecond precision, as
// the slog line did (a whole number of microseconds over 1000), trailing
// zeros and point dropped: 1.25, 0.003, 12.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	digits := []byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	for digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	return append(b, digits...)
}

// appendScore writes a detector's score as a JSON number; a non-finite
// one, which JSON cannot carry, as null.
func appendScore(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
