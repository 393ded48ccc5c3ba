package bom

import (
	"strings"
	"testing"
	"time"
)

// FuzzCard feeds arbitrary bytes to the config.json and README.md parsers:
// they must not panic, must finish quickly and must keep every string they
// return within bounds.
func FuzzCard(f *testing.F) {
	f.Add(readTestdata(f, "hf", "README.md"), readTestdata(f, "hf", "config.json"))
	f.Add([]byte("---\na: &a [x, x]\nb: [*a, *a]\n---\n"), []byte(`["array"]`))
	f.Add([]byte("---\nlicense: mit\ndatasets: glue\nmodel-index: [{name: m, results: [{metrics: [{type: acc, value: 1}]}]}]\n---\n## Limitations\nsome\n"), []byte(`{"architectures": ["A", 1, null], "model_type": 7}`))
	f.Add([]byte("\xef\xbb\xbf---\r\nlicense: apache-2.0\r\n...\r\nbody"), []byte(`null`))
	f.Fuzz(func(t *testing.T, readme, config []byte) {
		start := time.Now()
		var c card
		c.parseConfig(config)
		c.parseReadme(readme)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("parsing took %s", d)
		}
		for _, s := range append(append(append([]string{c.modelType, c.modelName, c.pipelineTag, c.transformersVersion},
			c.licenses...), c.datasets...), c.tags...) {
			if len(s) > maxShortText || strings.ContainsAny(s, "\n\r\x00") {
				t.Fatalf("unbounded or raw string %q", s)
			}
		}
		if len(c.datasets) > maxListItems || len(c.tags) > maxListItems || len(c.results) > maxListItems {
			t.Fatalf("list past its bound")
		}
		for _, p := range c.problems {
			if strings.Contains(p, "internal error") {
				t.Fatalf("parser panicked: %s", p)
			}
		}
	})
}
