package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/modelward/modelward/gateway/auth"
	"github.com/modelward/modelward/registry"
)

// action is what the response policy does with an answer.
type action int

const (
	actAnswer  action = iota // send it as hardened
	actDegrade               // send the label only
	actReview                // hold it for a reviewer
)

// detect observes each row in the model's detectors, remembers a flag,
// raises it once when it is new, and says what the policy does with the
// answer (or refuses it).
func (g *Gateway) detect(m *model, p auth.Principal, batch, probs [][]float32, lg *reqLog) (action, *httpError) {
	now := g.now()
	for i, x := range batch {
		v := m.det.observe(p.ID, x, argmax(probs[i]))
		if v.Flagged && !lg.verdict.Flagged {
			lg.verdict = v
		}
	}
	old, was := m.flags.get(p.ID, now)
	v := lg.verdict
	switch {
	case v.Flagged && (!was || v.Detector != old.Detector):
		// A new flag, or another detector's: worded once, kept, raised
		// when new, and its reason logged with this request.
		v = v.worded()
		lg.verdict, lg.newFlag = v, true
		m.flags.set(p.ID, v, now)
		g.shareFlag(m, p.ID, v, now)
		if !was {
			g.raise(m, p, v)
		}
	case was:
		// Flagged before: the kept verdict stands, with this query's
		// score when the detectors flag again; the request log names it
		// without its words.
		if v.Flagged {
			old.Score = v.Score
			m.flags.set(p.ID, old, now)
			g.shareFlag(m, p.ID, old, now)
		}
		v, lg.verdict = old, old
	}
	if !v.Flagged {
		return actAnswer, nil
	}
	switch m.cfg.Policy {
	case PolicyBlock:
		g.metrics.inc(mBlocked, "model", m.cfg.Name, "reason", v.Detector)
		return actAnswer, fail(http.StatusForbidden, "this client is blocked from model %q: its queries look like model extraction", m.cfg.Name)
	case PolicyDegrade:
		g.metrics.inc(mDegraded, "model", m.cfg.Name, "detector", v.Detector)
		return actDegrade, nil
	case PolicyReview:
		return actReview, nil
	}
	return actAnswer, nil
}

// raise reports a new flag: a metric, a warning, and under every policy
// but log a registry alert, which the registry's webhooks deliver. The
// alert is written off the request path; a full queue drops it (counted)
// rather than slow the answers.
func (g *Gateway) raise(m *model, p auth.Principal, v verdict) {
	g.metrics.inc(mFlags, "model", m.cfg.Name, "detector", v.Detector)
	g.log.Warn("extraction suspected", "principal", p.ID, "model", m.cfg.Name, "policy", m.cfg.Policy,
		"detector", v.Detector, "score", v.Score, "reason", v.reason)
	if m.cfg.Policy == PolicyLog || g.reg == nil {
		return
	}
	a := alert{model: m.cfg.Name, reason: v.reason, detail: alertDetail{Principal: p.ID, Detector: v.Detector,
		Score: v.Score, Policy: m.cfg.Policy, At: g.now().UTC()}}
	select {
	case g.alerts <- a:
	default:
		g.metrics.inc(mAlertsDropped, "model", m.cfg.Name)
	}
}

type alert struct {
	model, reason string
	detail        alertDetail
}

// alertDetail is the alert's audit detail: who, which detector, how sure.
type alertDetail struct {
	Principal string    `json:"principal"`
	Detector  string    `json:"detector"`
	Score     float64   `json:"score"`
	Policy    string    `json:"policy"`
	At        time.Time `json:"at"`
}

// gatewayActor is who the gateway's alerts are recorded as.
var gatewayActor = registry.Actor{ID: "gateway", Role: registry.RoleAdmin}

// sendAlerts writes queued alerts to the registry until stop.
func (g *Gateway) sendAlerts(ctx context.Context) {
	drain(ctx, g.stop, g.alerts, func(a alert) {
		if _, err := g.reg.RecordAlert(ctx, gatewayActor, a.model, "alert.extraction", a.reason, a.detail); err != nil {
			g.log.Error("recording an alert in the registry failed", "model", a.model, "err", err)
		}
	})
}

// drain hands what arrives on ch to handle, one at a time, until stop is
// closed or ctx ends: the gateway's work off the request path.
func drain[T any](ctx context.Context, stop <-chan struct{}, ch <-chan T, handle func(T)) {
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case v := <-ch:
			handle(v)
		}
	}
}
