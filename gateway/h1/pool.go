package h1

import (
	"context"
)

// acquire takes the newest idle connection to host that is not past the
// idle timeout (LIFO keeps the warm ones in use and lets the old ones age
// out) or dials one.
func (c *Client) acquire(ctx context.Context, host string) (*conn, bool, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClosed
	}
	list, expired := c.prune(c.idle[host])
	var cn *conn
	if n := len(list); n > 0 {
		cn = list[n-1]
		list[n-1] = nil
		list = list[:n-1]
	}
	c.idle[host] = list
	c.mu.Unlock()
	closeAll(expired)
	if cn != nil {
		return cn, true, nil
	}
	cn, err := c.dial(ctx, host)
	return cn, false, err
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

// dial connects within DialTimeout and the request's context.
func (c *Client) dial(ctx context.Context, host string) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	nc, err := c.cfg.Dial(dctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	return newConn(nc, host, c.cfg.MaxHeaderBytes), nil
}

// idleCount reports the idle connections to host, for tests.
func (c *Client) idleCount(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.idle[host])
}
