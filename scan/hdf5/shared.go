package hdf5

import (
	"errors"
	"fmt"
)

// sharedMessage resolves a shared message (spec IV.A.2, "Shared Message"
// encoding, versions 1-3) that points at another object header, and returns
// the data of that header's message of type typ. Messages in the shared
// object header message heap (SOHM) are not read.
func (w *walker) sharedMessage(b []byte, typ uint16) ([]byte, error) {
	c := w.rd.cursor(b)
	version, kind := c.u8(), c.u8()
	switch version {
	case 1:
		c.skip(6)
	case 2:
	case 3:
		if kind != 2 {
			return nil, errors.New("shared message in the SOHM heap not read")
		}
	default:
		return nil, fmt.Errorf("shared message version %d", version)
	}
	addr := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	msgs, _, err := w.readHeader(addr)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.typ == typ && m.flags&2 == 0 {
			return m.data, nil
		}
	}
	return nil, fmt.Errorf("shared object header %#x has no message of type %#x", addr, typ)
}
