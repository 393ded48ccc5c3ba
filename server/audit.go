package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/modelward/modelward/registry"
)

// visible says whether the actor may see an audit entry: a token scoped
// to some models sees only entries about them.
func visible(a registry.Actor, e *registry.AuditEntry) bool {
	return len(a.Models) == 0 || slices.Contains(a.Models, e.Model)
}

// seqParam parses an audit sequence number (a cursor or Last-Event-ID).
func seqParam(s, what string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("invalid %s %q: use an audit sequence number", what, s)
	}
	return n, nil
}

// audit lists entries after a sequence number; the next cursor is the
// last sequence examined, so pages of a scoped token still advance.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if err := a.Allow(viewer, ""); err != nil {
		return err
	}
	p, err := pageParam(r)
	if err != nil {
		return err
	}
	after, err := seqParam(p.After, "after")
	if err != nil {
		return err
	}
	es, err := s.svc.Store().Audit(r.Context(), after, p.Limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(es) > p.Limit {
		es = es[:p.Limit]
		next = strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	es = slices.DeleteFunc(es, func(e registry.AuditEntry) bool { return !visible(a, &e) })
	return writeList(w, r, p, es, next)
}

// verifyAudit checks the whole chain and every checkpoint against the
// server's keys.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	if err := actorFrom(r.Context()).Allow(viewer, ""); err != nil {
		return err
	}
	keys := slices.Clone(s.opt.CheckpointVerifiers)
	if s.opt.CheckpointKey != nil {
		keys = append(keys, s.opt.CheckpointKey.Public())
	}
	rep, err := registry.VerifyAudit(r.Context(), s.svc.Store(), keys)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// eventPoll is how often the event stream reads the log for entries the
// in-process broker did not deliver (another server instance wrote them,
// or the subscriber's buffer was full) and sends a keep-alive.
var eventPoll = 15 * time.Second

// events streams audit entries as Server-Sent Events: first those after
// Last-Event-ID from the store, then live ones from the broker, filling
// any gap from the store so that no entry is skipped or repeated.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if err := a.Allow(viewer, ""); err != nil {
		return err
	}
	id := r.Header.Get("Last-Event-ID")
	if id == "" {
		id = r.URL.Query().Get("after")
	}
	last, err := seqParam(id, "Last-Event-ID")
	if err != nil {
		return err
	}
	// Subscribe before reading the store, so nothing falls between.
	live, stop := s.svc.Events().Subscribe(256)
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &eventStream{w: w, rc: http.NewResponseController(w), a: a, last: last, s: s}
	if err := st.run(r.Context(), live); err != nil && r.Context().Err() == nil {
		s.log.Info("event stream ended", "err", err)
	}
	return nil
}

type eventStream struct {
	w    io.Writer
	rc   *http.ResponseController
	a    registry.Actor
	last int64
	s    *Server
}

func (st *eventStream) run(ctx context.Context, live <-chan registry.AuditEntry) error {
	if err := st.catchUp(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.s.stop:
			return nil
		case e, ok := <-live:
			if !ok {
				return nil
			}
			if err := st.deliver(ctx, e); err != nil {
				return err
			}
		case <-tick.C:
			if err := st.catchUp(ctx); err != nil {
				return err
			}
			if _, err := io.WriteString(st.w, ": keep-alive\n\n"); err != nil {
				return err
			}
			if err := st.rc.Flush(); err != nil {
				return err
			}
		}
	}
}

// deliver sends a live entry, reading the store first when entries are
// missing before it.
func (st *eventStream) deliver(ctx context.Context, e registry.AuditEntry) error {
	switch {
	case e.Seq <= st.last:
		return nil // already sent from the store
	case e.Seq > st.last+1:
		return st.catchUp(ctx)
	}
	return st.send(e)
}

// catchUp sends every stored entry after the last one sent.
func (st *eventStream) catchUp(ctx context.Context) error {
	for {
		es, err := st.s.svc.Store().Audit(ctx, st.last, registry.MaxPageSize)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := st.send(e); err != nil {
				return err
			}
		}
		if len(es) < registry.MaxPageSize {
			return st.rc.Flush()
		}
	}
}

// send writes one entry (when the actor may see it) and advances.
func (st *eventStream) send(e registry.AuditEntry) error {
	st.last = e.Seq
	if !visible(st.a, &e) {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.w, "id: %d\ndata: %s\n\n", e.Seq, b); err != nil {
		return err
	}
	return st.rc.Flush()
}
