package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// requestRecords reads the request lines among logs, each as its keys in
// order and its values.
func requestRecords(t *testing.T, logs string) (orders [][]string, values []map[string]any) {
	t.Helper()
	names := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, line)
		}
		if m["msg"] != "request" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		var keys []string
		dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		delete(m, "time")
		delete(m, "latency_ms")
		if u, ok := m["upstream"].(string); ok && strings.HasPrefix(u, "http://127.0.0.1:") {
			m["upstream"] = "the world's upstream" // its port differs between worlds
		}
		// Token IDs differ between worlds: name principals by first use.
		if p, ok := m["principal"].(string); ok && p != "" && p != "-" {
			if _, seen := names[p]; !seen {
				names[p] = fmt.Sprint("principal-", len(names)+1)
			}
			m["principal"] = names[p]
		}
		orders, values = append(orders, keys), append(values, m)
	}
	return orders, values
}

// The hand-written request line says what the slog line said, in the same
// order, for the same traffic: answered, refused and flagged requests.
func TestRequestLineMatchesSlog(t *testing.T) {
	model := "    policy: alert\n    detect: {signals: {enabled: true}, prada: {enabled: true}}\n"
	worlds := []*world{newWorld(t, worldOpts{model: model}), newWorld(t, worldOpts{model: model, requestLog: true})}
	for _, w := range worlds {
		r := rand.New(rand.NewPCG(7, 7))
		w.infer("", inferBody(make([]float32, 64)))                // refused: no key
		w.infer(w.tokens["bob"], `{"inputs":[]}`)                  // refused: invalid
		w.infer(w.tokens["other"], inferBody(make([]float32, 64))) // refused: not its model
		for range 60 {
			x := make([]float32, 64)
			for j := range x {
				x[j] = float32(r.IntN(17))
			}
			w.clock.Advance(500 * time.Millisecond)
			w.infer(w.tokens["bob"], inferBody(x))
		}
	}
	slogOrder, slogValues := requestRecords(t, worlds[0].logs.String())
	if strings.Contains(worlds[1].logs.String(), `"msg":"request"`) {
		t.Fatal("request lines went to the logger too")
	}
	order, values := requestRecords(t, worlds[1].lines.String())
	if len(values) != len(slogValues) || len(values) != 63 {
		t.Fatalf("%d request lines, slog %d", len(values), len(slogValues))
	}
	reasons := 0
	for i := range values {
		if strings.Join(order[i], ",") != strings.Join(slogOrder[i], ",") {
			t.Fatalf("line %d keys %v, slog %v", i, order[i], slogOrder[i])
		}
		a, _ := json.Marshal(values[i])
		b, _ := json.Marshal(slogValues[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("line %d:\n%s\nslog:\n%s", i, a, b)
		}
		if values[i]["reason"] != nil {
			reasons++
		}
	}
	if reasons != 1 {
		t.Fatalf("%d lines carry a reason: want exactly the one that raised the flag", reasons)
	}
}

func TestRequestLineEncoding(t *testing.T) {
	l := requestLine{at: time.Date(2026, 11, 26, 14, 0, 0, 5, time.UTC), principal: "a\"b\\c\n\x01<é\xff", model: "m",
		method: "POST", status: 200, latency: 1250 * time.Microsecond, flagged: true, detector: "prada", score: math.NaN()}
	var buf bytes.Buffer
	if err := l.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if m["principal"] != "a\"b\\c\n\x01<é\ufffd" || m["latency_ms"] != 1.25 || m["score"] != nil || m["time"] != "2026-11-26T14:00:00.000000005Z" {
		t.Fatalf("%s", buf.Bytes())
	}
	for d, want := range map[time.Duration]string{0: "0", 3 * time.Microsecond: "0.003", 12 * time.Millisecond: "12",
		1500 * time.Microsecond: "1.5", 1234567 * time.Microsecond: "1234.567", 999 * time.Nanosecond: "0"} {
		if got := string(appendMillis(nil, d)); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
