//go:build !unix

package h1

func (cn *conn) setupPeek() {}

// quiet tells whether nothing has arrived on an idle connection since it
// was released (see quiet_unix.go); here by a peek with a short deadline.
func (cn *conn) quiet() bool {
	if cn.rd.br.Buffered() > 0 {
		return false
	}
	return cn.quietByDeadline()
}
