package h1

import (
	"bufio"
	"fmt"
	"io"
	"slices"
)

// chunkSlack bounds the framing bytes of a chunked body beyond its data:
// chunk-size lines and extensions may not add more than this plus the
// data's own size, so tiny chunks with long extensions cannot make the
// client read without end.
const chunkSlack = 64 << 10

// readBody reads a body framed as kind into a fresh slice, and copies the
// header section (fields) out of the reader's buffer. A body of known
// length shares one allocation with the header copy, capped so that the
// caller appending to the body cannot reach the header.
func (r *reader) readBody(kind bodyKind, length, maxBody int64, fields []byte) (body, header []byte, err error) {
	if kind == bodyLength && length > maxBody {
		return nil, nil, fmt.Errorf("%w: Content-Length %d over the limit of %d", ErrTooLarge, length, maxBody)
	}
	if kind == bodyLength && length > 0 {
		buf := make([]byte, length+int64(len(fields)))
		body, header = buf[:length:length], buf[length:]
		copy(header, fields)
		if _, err := io.ReadFull(r.br, body); err != nil {
			return nil, nil, unexpectedEOF(err)
		}
		return body, header, nil
	}
	switch kind {
	case bodyChunked:
		body, err = r.readChunked(maxBody)
	case bodyClose:
		body, err = r.readUntilClose(maxBody)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(fields) > 0 {
		header = append([]byte(nil), fields...)
	}
	return body, header, nil
}

// readUntilClose reads a body that ends when the upstream closes.
func (r *reader) readUntilClose(maxBody int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.br, maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxBody {
		return nil, fmt.Errorf("%w: over the limit of %d", ErrTooLarge, maxBody)
	}
	return b, nil
}

// readChunked reads a chunked body (RFC 9112, section 7.1), ignoring
// chunk extensions and dropping the trailer section.
func (r *reader) readChunked(maxBody int64) ([]byte, error) {
	var body []byte
	framing := 0
	for {
		line, err := r.chunkLine()
		if err != nil {
			return nil, err
		}
		if framing += len(line) + 2; framing > chunkSlack+len(body) {
			return nil, fmt.Errorf("%w: chunk framing out of proportion to the data", ErrMalformed)
		}
		size, err := parseChunkSize(line)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			return body, r.skipTrailers()
		}
		if int64(len(body))+size > maxBody {
			return nil, fmt.Errorf("%w: chunked body over the limit of %d", ErrTooLarge, maxBody)
		}
		if body, err = r.chunkData(body, int(size)); err != nil {
			return nil, err
		}
	}
}

// chunkData appends one chunk's data and checks the line end after it.
func (r *reader) chunkData(body []byte, size int) ([]byte, error) {
	n := len(body)
	body = slices.Grow(body, size)[:n+size]
	if _, err := io.ReadFull(r.br, body[n:]); err != nil {
		return nil, unexpectedEOF(err)
	}
	end, err := r.chunkLine()
	if err != nil {
		return nil, err
	}
	if len(end) != 0 {
		return nil, fmt.Errorf("%w: chunk data longer than its size", ErrMalformed)
	}
	return body, nil
}

// chunkLine reads one line of chunk framing, without its line end; it
// must fit the read buffer.
func (r *reader) chunkLine() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: chunk line longer than %d bytes", ErrMalformed, r.br.Size())
	}
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	line, _ := nextLine(b)
	return line, nil
}

// parseChunkSize reads "1a3f" or "1a3f ; name=value", ignoring the
// extensions once they are checked to hold no control characters.
func parseChunkSize(line []byte) (int64, error) {
	i := 0
	var n int64
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if i == maxLengthDigits-3 {
			return 0, fmt.Errorf("%w: chunk size too long", ErrMalformed)
		}
		n = n<<4 | int64(d)
	}
	if i == 0 {
		return 0, fmt.Errorf("%w: chunk size %q", ErrMalformed, clip(line))
	}
	ext := trimOWS(line[i:])
	if len(ext) > 0 && (ext[0] != ';' || !isFieldValue(ext)) {
		return 0, fmt.Errorf("%w: chunk size line %q", ErrMalformed, clip(line))
	}
	return n, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// skipTrailers reads and drops the trailer section, within the bounds of
// a header section (RFC 9112, section 7.1.2).
func (r *reader) skipTrailers() error {
	total := 0
	for n := 0; ; n++ {
		line, err := r.chunkLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if total += len(line) + 2; total > r.maxHeader || n >= maxFields {
			return fmt.Errorf("%w: trailer section over its bounds", ErrMalformed)
		}
		if _, _, err := parseFieldLine(line); err != nil {
			return err
		}
	}
}
