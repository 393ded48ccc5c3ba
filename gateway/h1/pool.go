package h1

import (
	"context"
	"time"
)

// acquire takes the newest idle connection to host that is not past the
// idle timeout (LIFO keeps the warm ones in use and lets the old ones age
// out) or dials one.
func (c *Client) acquire(ctx context.Context, req *Request) (*conn, bool, error) {
	host := req.Host
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClosed
	}
	list, expired := c.prune(c.idle[host])
	c.idle[host] = list
	c.mu.Unlock()
	closeAll(expired)
	for {
		cn := c.popIdle(host)
		if cn == nil {
			break
		}
		if cn.quiet() {
			return cn, true, nil
		}
		cn.close() // something arrived while it was idle: never reuse it
	}
	cn, err := c.dial(ctx, req)
	return cn, false, err
}

// popIdle takes the newest idle connection to host, or nil.
func (c *Client) popIdle(host string) *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.idle[host]
	n := len(list)
	if n == 0 {
		return nil
	}
	cn := list[n-1]
	list[n-1] = nil
	c.idle[host] = list[:n-1]
	return cn
}

// prune splits off the connections idle for longer than IdleTimeout; they
// sit at the front since the list is in the order they were released. The
// caller holds c.mu and closes them after unlocking.
func (c *Client) prune(list []*conn) (kept, expired []*conn) {
	if len(list) == 0 {
		return list, nil
	}
	now := c.cfg.Now()
	i := 0
	for i < len(list) && now.Sub(list[i].idleAt) >= c.cfg.IdleTimeout {
		i++
	}
	if i == 0 {
		return list, nil
	}
	expired = append(expired, list[:i]...)
	n := copy(list, list[i:])
	clear(list[n:])
	return list[:n], expired
}

// release returns a connection whose exchange ended cleanly to the pool.
func (c *Client) release(cn *conn) {
	c.mu.Lock()
	list, expired := c.prune(c.idle[cn.host])
	if c.closed || len(list) >= c.cfg.MaxIdlePerHost {
		c.mu.Unlock()
		cn.close()
		closeAll(expired)
		return
	}
	cn.idleAt = c.cfg.Now()
	c.idle[cn.host] = append(list, cn)
	c.mu.Unlock()
	closeAll(expired)
}

func closeAll(list []*conn) {
	for _, cn := range list {
		cn.close()
	}
}

// dial connects within DialTimeout, the request's context and its
// Deadline.
func (c *Client) dial(ctx context.Context, req *Request) (*conn, error) {
	d := time.Now().Add(c.cfg.DialTimeout)
	if rd := req.deadline(ctx); !rd.IsZero() && rd.Before(d) {
		d = rd
	}
	dctx, cancel := context.WithDeadline(ctx, d)
	defer cancel()
	nc, err := c.cfg.Dial(dctx, "tcp", req.Host)
	if err != nil {
		return nil, err
	}
	return newConn(nc, req.Host, c.cfg.MaxHeaderBytes), nil
}

// idleCount reports the idle connections to host, for tests.
func (c *Client) idleCount(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.idle[host])
}
