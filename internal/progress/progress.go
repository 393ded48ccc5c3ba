// Package progress draws a one-line progress bar on a terminal. It stays
// silent for short runs and whenever its output is not a terminal, so piped
// and CI output carries nothing decorative.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar is a progress line for a count of files.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	delay   time.Duration
	last    time.Time
	drawn   bool
	enabled bool
}

// New returns a bar writing to w; it draws only when enabled is true and
// the run has lasted longer than delay.
func New(w io.Writer, enabled bool, delay time.Duration) *Bar {
	return &Bar{w: w, start: time.Now(), delay: delay, enabled: enabled}
}

// Update redraws the bar, at most ten times a second.
func (b *Bar) Update(done, total int, bytes int64) {
	if !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if now.Sub(b.start) < b.delay || (now.Sub(b.last) < 100*time.Millisecond && done < total) {
		return
	}
	b.last = now
	const width = 30
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	rate := float64(bytes) / now.Sub(b.start).Seconds() / (1 << 20)
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d files  %s  %.0f MiB/s ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		done, total, humanBytes(bytes), rate)
	b.drawn = true
}

// Done clears the bar's line.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", 79))
		b.drawn = false
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
