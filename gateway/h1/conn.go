package h1

import (
	"bufio"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Buffers above these sizes are dropped after use rather than kept, so one
// large exchange does not pin memory on an idle connection.
const (
	keepWriteBuf = 16 << 10
	readBufSize  = 4 << 10
)

// stage says how far an exchange got, for the retry decision.
type stage int

const (
	stageWrite     stage = iota // writing the request
	stageFirstByte              // waiting for the first byte of the answer
	stageRead                   // reading an answer that has begun
)

// conn is one pooled connection with its reusable buffers. Only the
// goroutine that holds it (taken out of the pool) touches it.
type conn struct {
	nc        net.Conn
	host      string
	rd        reader
	wbuf      []byte
	idleAt    time.Time
	deadline  bool   // a deadline is set on nc
	interrupt func() // built once so AfterFunc needs no closure per request

	// The idle probe (quiet), built once per connection so that checking a
	// connection before reuse allocates nothing.
	raw       syscall.RawConn // nil when nc is no socket
	peek      func(fd uintptr) bool
	peekQuiet bool
	peekBuf   [1]byte
}

func newConn(nc net.Conn, host string, maxHeader int) *conn {
	cn := &conn{nc: nc, host: host}
	cn.rd = reader{br: bufio.NewReaderSize(nc, readBufSize), maxHeader: maxHeader}
	// A deadline in the past makes every blocked Read or Write on nc
	// return at once; the connection is then closed by its holder.
	cn.interrupt = func() { _ = nc.SetDeadline(time.Unix(1, 0)) }
	if sc, ok := nc.(syscall.Conn); ok {
		cn.raw, _ = sc.SyscallConn()
	}
	cn.setupPeek()
	return cn
}

func (cn *conn) close() { _ = cn.nc.Close() }

// setDeadline carries the exchange's deadline (zero: none) to the socket;
// an I/O deadline is what bounds a blocking read without a goroutine
// watching the context.
func (cn *conn) setDeadline(d time.Time) error {
	if !d.IsZero() {
		cn.deadline = true
		return cn.nc.SetDeadline(d)
	}
	if cn.deadline {
		cn.deadline = false
		return cn.nc.SetDeadline(time.Time{})
	}
	return nil
}

// roundTrip writes req and reads its answer; keep says cn may be reused.
func (cn *conn) roundTrip(req *Request) (*Response, bool, stage, error) {
	if err := cn.write(req); err != nil {
		return nil, false, stageWrite, err
	}
	// Waiting for one byte first separates "the upstream closed without
	// answering" (retryable on a stale connection) from a broken answer.
	if _, err := cn.rd.br.Peek(1); err != nil {
		return nil, false, stageFirstByte, err
	}
	resp, keep, err := cn.rd.readResponse(req.Method, req.maxBody())
	if err != nil {
		return nil, false, stageRead, err
	}
	return resp, keep && !req.Close, stageRead, nil
}

// write sends the head and body in one write: small bodies are copied
// behind the head, large ones go out with the head in one writev.
func (cn *conn) write(req *Request) error {
	small := len(req.Body) <= keepWriteBuf
	b := req.appendHead(cn.wbuf[:0])
	if small {
		b = append(b, req.Body...)
	}
	var err error
	if small {
		_, err = cn.nc.Write(b)
	} else {
		bufs := net.Buffers{b, req.Body}
		_, err = bufs.WriteTo(cn.nc)
	}
	if cap(b) <= keepWriteBuf {
		cn.wbuf = b[:0]
	} else {
		cn.wbuf = nil
	}
	return err
}

// stale says whether a failure on a reused connection is the upstream
// having closed it while idle: any failed write, or a reset or clean EOF
// before the first byte of the answer. Timeouts are not: they are the
// upstream being slow, and retrying would double the wait.
func stale(st stage, err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	switch st {
	case stageWrite:
		return true
	case stageFirstByte:
		return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	}
	return false
}

// quietByDeadline peeks for a millisecond: a timeout means nothing came.
// It costs a timer, so quiet uses it only where no raw socket is at hand
// (a net.Pipe in tests, a wrapped connection from a custom Dial).
func (cn *conn) quietByDeadline() bool {
	if err := cn.nc.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return false
	}
	_, err := cn.rd.br.Peek(1)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return false // bytes, EOF or a failure: not reusable
	}
	return cn.nc.SetReadDeadline(time.Time{}) == nil
}
