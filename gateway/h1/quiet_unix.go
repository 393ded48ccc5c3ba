//go:build unix

package h1

import (
	"syscall"
	"time"
)

// setupPeek builds the probe quiet runs: one non-blocking MSG_PEEK
// receive of a byte, which never waits for readiness.
func (cn *conn) setupPeek() {
	cn.peek = func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), cn.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		cn.peekQuiet = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	}
}

// quiet tells whether nothing has arrived on an idle connection since it
// was released: no stray bytes (an unsolicited second response, a 408
// before the server closes, a body longer than its Content-Length) and no
// EOF. Bytes that arrive while a connection sits idle would otherwise be
// read as the next request's answer, handing one client another's result.
// net/http gets the same from a background read per idle connection; here
// it is one system call, no timer and no goroutine.
func (cn *conn) quiet() bool {
	if cn.rd.br.Buffered() > 0 {
		return false
	}
	if cn.raw == nil {
		return cn.quietByDeadline()
	}
	// The last request's deadline is still on the socket and has likely
	// passed: the runtime would refuse the probe without peeking, and a
	// healthy connection would be thrown away.
	if cn.deadline {
		if cn.nc.SetDeadline(time.Time{}) != nil {
			return false
		}
		cn.deadline = false
	}
	cn.peekQuiet = false
	err := cn.raw.Read(cn.peek)
	return err == nil && cn.peekQuiet
}
