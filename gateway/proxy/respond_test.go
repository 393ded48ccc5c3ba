package proxy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/telemetry"
	"github.com/modelward/modelward/registry"
)

// floodRandom sends uniform random images (which the coverage signal
// flags by query 30) until the gateway answers something other than 200,
// and returns that answer.
func floodRandom(t *testing.T, w *world, secret string) (int, []byte, int) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200 {
		x := make([]float32, 64)
		for j := range x {
			x[j] = float32(r.IntN(17))
		}
		w.clock.Advance(500 * time.Millisecond)
		st, b := w.infer(secret, inferBody(x))
		if st != 200 {
			return st, b, i + 1
		}
	}
	t.Fatal("never flagged in 200 random queries")
	return 0, nil, 0
}

// Policy review: a flagged client's answers are held (202 and a ticket);
// only the admin key lists and decides; the client collects an approved
// answer once; rejected is 403; another client cannot see the ticket.
func TestReviewPolicy(t *testing.T) {
	w := newWorld(t, worldOpts{model: "    policy: review\n    harden: {mode: topk, k: 3}\n    detect: {signals: {enabled: true}}\n"})
	st, b, at := floodRandom(t, w, w.tokens["bob"])
	if st != 202 {
		t.Fatalf("query %d: %d %s", at, st, b)
	}
	var tk ticket
	if err := json.Unmarshal(b, &tk); err != nil || tk.Status != "pending" || tk.Location != "/v2/reviews/"+tk.ReviewID {
		t.Fatalf("ticket %s: %v", b, err)
	}
	// A natural digit from the flagged client is held too; another client is answered.
	st, b2 := w.infer(w.tokens["bob"], inferBody(digits.UCI().Row(0)))
	var tk2 ticket
	if st != 202 || json.Unmarshal(b2, &tk2) != nil || tk2.ReviewID == tk.ReviewID {
		t.Fatalf("second: %d %s", st, b2)
	}
	if st, _ := w.infer(w.tokens["all"], inferBody(digits.UCI().Row(0))); st != 200 {
		t.Fatalf("other client: %d", st)
	}
	if st, _, _ := w.do("GET", tk.Location, w.tokens["bob"], ""); st != 202 {
		t.Fatalf("pending poll: %d", st)
	}
	if st, _, _ := w.do("GET", tk.Location, w.tokens["all"], ""); st != 404 {
		t.Fatalf("someone else's ticket: %d", st)
	}
	// Only the admin key lists; the list shows evidence, not the answer.
	if st, _, _ := w.do("GET", "/admin/reviews", w.tokens["bob"], ""); st != 403 {
		t.Fatalf("list without admin: %d", st)
	}
	st, lb, _ := w.do("GET", "/admin/reviews?state=pending&model=digits", adminKey, "")
	var list struct {
		Items []struct {
			ID       string         `json:"id"`
			Evidence map[string]any `json:"evidence"`
		} `json:"items"`
	}
	if st != 200 || json.Unmarshal(lb, &list) != nil || len(list.Items) != 2 || list.Items[0].ID != tk.ReviewID ||
		list.Items[0].Evidence["detector"] != "signals/coverage" || strings.Contains(string(lb), "probabilities") {
		t.Fatalf("list %d %s", st, lb)
	}
	decide := func(id, verb string) int {
		st, _, _ := w.do("POST", "/admin/reviews/"+id+"/"+verb, adminKey, `{"reviewer":"alice","note":"checked"}`)
		return st
	}
	if decide(tk.ReviewID, "approve") != 200 || decide(tk.ReviewID, "reject") != 409 || decide(tk2.ReviewID, "reject") != 200 {
		t.Fatal("decisions")
	}
	st, body, _ := w.do("GET", tk.Location, w.tokens["bob"], "")
	if st != 200 || len(decode(t, body).output("probabilities")) != 10 {
		t.Fatalf("collect: %d %s", st, body)
	}
	if st, _, _ := w.do("GET", tk.Location, w.tokens["bob"], ""); st != 410 {
		t.Fatalf("second collect: %d", st)
	}
	if st, _, _ := w.do("GET", tk2.Location, w.tokens["bob"], ""); st != 403 {
		t.Fatalf("rejected: %d", st)
	}
	// Junk IDs name no route; a bad body is 400.
	for _, p := range []string{"/v2/reviews/x", "/admin/reviews/rv_../approve", "/v2/reviews/" + strings.ToUpper(tk.ReviewID)} {
		if st, _, _ := w.do("GET", p, adminKey, ""); st != 404 {
			t.Errorf("%s: %d", p, st)
		}
	}
	if st, _, _ := w.do("POST", "/admin/reviews/"+tk2.ReviewID+"/approve", adminKey, `{"who":"x"}`); st != 400 {
		t.Errorf("bad body: %d", st)
	}
	if w.gw.metrics.value(mHeld, "model", "digits", "detector", "signals/coverage") != 2 {
		t.Error("held metric")
	}
}

// Policy throttle: a flagged client gets its throttle rate (burst 2 here,
// then 429 with Retry-After) while others are served; policy alert (and
// throttle) records one registry alert per newly flagged client.
func TestThrottleAndAlert(t *testing.T) {
	for _, policy := range []string{PolicyThrottle, PolicyAlert} {
		t.Run(policy, func(t *testing.T) {
			w := newWorld(t, worldOpts{events: true, model: "    policy: " + policy +
				"\n    throttle: {rate: 0.5, burst: 2}\n    detect: {signals: {enabled: true}}\n"})
			events, stop := w.svc.Events().Subscribe(16)
			defer stop()
			if policy == PolicyAlert {
				r := rand.New(rand.NewPCG(7, 7))
				for range 60 {
					x := make([]float32, 64)
					for j := range x {
						x[j] = float32(r.IntN(17))
					}
					w.clock.Advance(500 * time.Millisecond)
					if st, b := w.infer(w.tokens["bob"], inferBody(x)); st != 200 {
						t.Fatalf("%d %s", st, b)
					}
				}
			} else {
				st, b, at := floodRandom(t, w, w.tokens["bob"])
				// Flagged at some query q: q and the next one pass (burst 2), then 429.
				if st != 429 || !strings.Contains(string(b), "throttled") {
					t.Fatalf("query %d: %d %s", at, st, b)
				}
				if st, _, h := w.do("POST", "/v2/models/digits/infer", w.tokens["bob"], inferBody(digits.UCI().Row(0))); st != 429 || h.Get("Retry-After") == "" {
					t.Fatalf("throttled again: %d %v", st, h)
				}
				w.clock.Advance(2 * time.Second)
				if st, _ := w.infer(w.tokens["bob"], inferBody(digits.UCI().Row(0))); st != 200 {
					t.Fatalf("after waiting: %d", st)
				}
				if st, _ := w.infer(w.tokens["all"], inferBody(digits.UCI().Row(0))); st != 200 {
					t.Fatalf("other client: %d", st)
				}
			}
			var got registry.AuditEntry
			select {
			case got = <-events:
			case <-time.After(5 * time.Second):
				t.Fatal("no alert published")
			}
			var d alertDetail
			if got.Action != "alert.extraction" || got.Model != "digits" || json.Unmarshal(got.Detail, &d) != nil ||
				d.Detector != "signals/coverage" || d.Policy != policy || d.Principal == "" {
				t.Fatalf("alert %+v", got)
			}
			select {
			case e := <-events:
				t.Fatalf("a second alert for the same client: %+v", e)
			case <-time.After(100 * time.Millisecond):
			}
			if w.gw.metrics.value(mFlags, "model", "digits", "detector", "signals/coverage") != 1 {
				t.Error("flag counted more than once")
			}
		})
	}
}

// Telemetry: one record per answered row, readable by the monitor, with
// the input's digest, the model's own label and confidence, and never the
// input or a credential.
func TestPredictionRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "predictions.jsonl")
	w := newWorld(t, worldOpts{top: fmt.Sprintf("telemetry: {path: %q}\n", path), model: "    harden: {mode: label}\n"})
	rows := [][]float32{digits.UCI().Row(0), digits.UCI().Row(1)}
	if st, b := w.infer(w.tokens["all"], inferBody(rows...)); st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	if st, _ := w.infer(w.tokens["bob"], inferBody(rows[0])); st != 200 {
		t.Fatal(st)
	}
	if err := w.gw.tele.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []telemetry.Record
	if err := telemetry.Read(f, func(r telemetry.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	m := digits.Pretrained()
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		x := rows[min(i, 1)]
		if i == 2 {
			x = rows[0]
		}
		want := digits.Label(m.Predict(x))
		if r.Model != "digits" || r.Label != want || !(r.Confidence > 0.5) || r.InputDigest != telemetry.DigestRow(x) || r.Status != 200 || r.Client == "" {
			t.Errorf("record %d: %+v (label want %d)", i, r, want)
		}
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range w.tokens {
		if strings.Contains(string(raw), secret) {
			t.Fatal("a credential in the records")
		}
	}
}

// A blocked client is refused every operation on the model, not only
// inference; metadata is the gateway's own, naming no upstream internals;
// an approved held answer is not handed out while the model is switched
// off.
func TestBlockedEverywhereAndHeldAnswersObeyKillSwitch(t *testing.T) {
	w := newWorld(t, worldOpts{model: "    policy: block\n    detect: {signals: {enabled: true}}\n"})
	if st, b, _ := w.do("GET", "/v2/models/digits", w.tokens["all"], ""); st != 200 || strings.Contains(string(b), "modelward_go_mlp") {
		t.Fatalf("metadata %d %s", st, b)
	}
	if st, _, _ := floodRandom(t, w, w.tokens["bob"]); st != 403 {
		t.Fatalf("flood: %d", st)
	}
	for _, path := range []string{"/v2/models/digits", "/v2/models/digits/ready"} {
		if st, _, _ := w.do("GET", path, w.tokens["bob"], ""); st != 403 {
			t.Errorf("blocked client: GET %s = %d", path, st)
		}
	}

	r := newWorld(t, worldOpts{model: "    policy: review\n    detect: {signals: {enabled: true}}\n"})
	st, b, _ := floodRandom(t, r, r.tokens["bob"])
	var tk ticket
	if st != 202 || json.Unmarshal(b, &tk) != nil {
		t.Fatalf("held: %d %s", st, b)
	}
	if st, _, _ := r.do("POST", "/admin/reviews/"+tk.ReviewID+"/approve", adminKey, `{"reviewer":"alice"}`); st != 200 {
		t.Fatal(st)
	}
	r.gw.SetEnabled("digits", false)
	if st, _, _ := r.do("GET", tk.Location, r.tokens["bob"], ""); st != 503 {
		t.Fatalf("collect while disabled: %d", st)
	}
	r.gw.SetEnabled("digits", true)
	if st, _, _ := r.do("GET", tk.Location, r.tokens["bob"], ""); st != 200 {
		t.Fatalf("collect once enabled: %d", st)
	}
}

// Limits, quotas and the throttle count queries (rows), not requests: a
// batch cannot carry more queries than the client may send (found by
// review: a throttled client got 64 answers a second in batches).
func TestLimitsCountRows(t *testing.T) {
	batch := func(n int) string {
		rows := make([][]float32, n)
		for i := range rows {
			rows[i] = digits.UCI().Row(i)
		}
		return inferBody(rows...)
	}
	w := newWorld(t, worldOpts{model: "    model_rate: {rate: 100, burst: 100, daily: 10}\n"})
	answered := 0
	for range 3 {
		if st, b := w.infer(w.tokens["all"], batch(4)); st == 200 {
			answered += len(decode(t, b).output("label"))
		}
	}
	if answered != 8 {
		t.Fatalf("a daily quota of 10 queries answered %d rows in batches of 4", answered)
	}
	if st, b := w.infer(w.tokens["all"], batch(2)); st != 200 || len(decode(t, b).output("label")) != 2 {
		t.Fatalf("the last 2 of the quota: %d %s", st, b)
	}
	if st, _ := w.infer(w.tokens["all"], batch(1)); st != 429 {
		t.Fatalf("past the quota: %d", st)
	}

	th := newWorld(t, worldOpts{model: "    policy: throttle\n    throttle: {rate: 1, burst: 4}\n    detect: {signals: {enabled: true}}\n"})
	floodRandom(t, th, th.tokens["bob"])
	th.clock.Advance(10 * time.Second) // a full throttle bucket: 4 queries
	if st, b := th.infer(th.tokens["bob"], batch(8)); st != 400 || !strings.Contains(errorOf(b), "burst") {
		t.Fatalf("a batch over the throttle's burst: %d %s", st, b)
	}
	if st, b := th.infer(th.tokens["bob"], batch(4)); st != 200 || len(decode(t, b).output("label")) != 4 {
		t.Fatalf("a batch within it: %d %s", st, b)
	}
	if st, _ := th.infer(th.tokens["bob"], batch(1)); st != 429 {
		t.Fatalf("the throttle is spent: %d", st)
	}
}

// A request refused by one limit costs the others nothing (found by
// review: the principal's quota paid for requests the model's limit
// refused).
func TestRefusedRequestsCostNothing(t *testing.T) {
	batch := func(n int) string {
		rows := make([][]float32, n)
		for i := range rows {
			rows[i] = digits.UCI().Row(i)
		}
		return inferBody(rows...)
	}
	w := newWorld(t, worldOpts{model: "    model_rate: {rate: 1, burst: 4}\n"})
	w.gw.models["digits"].cfg.Rate = RateConfig{Rate: 10000, Burst: 10000, Daily: 10}
	if st, b := w.infer(w.tokens["all"], batch(4)); st != 200 {
		t.Fatalf("first: %d %s", st, b)
	}
	for range 5 {
		if st, _ := w.infer(w.tokens["all"], batch(4)); st != 429 {
			t.Fatalf("the model's limit should refuse: %d", st)
		}
	}
	w.clock.Advance(10 * time.Second)
	if st, b := w.infer(w.tokens["all"], batch(4)); st != 200 {
		t.Fatalf("8 of a quota of 10 answered, yet refused: %d %s", st, errorOf(b))
	}
}
