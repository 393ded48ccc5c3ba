package finding

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the rule catalogue")

// rulesDoc renders the rule catalogue as docs/rules.md.
func rulesDoc() []byte {
	var b bytes.Buffer
	b.WriteString("# Rules\n\n")
	b.WriteString("Every finding names one of these rules. IDs are stable: a published ID never changes meaning,\n")
	b.WriteString("and a retired rule keeps its number. MW1xx rules concern pickle streams, MW2xx containers and\n")
	b.WriteString("archives, MW3xx formats and inspection coverage. The severity shown is the rule's default.\n\n")
	b.WriteString("This page is generated from `finding/rules.go` by `go test ./finding -run TestRulesDoc -update`;\n")
	b.WriteString("a test fails when the two disagree.\n\n")
	b.WriteString("| ID | name | severity | title |\n|---|---|---|---|\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, lowerID(r.ID), r.Name, r.Severity, r.Title)
	}
	for _, r := range Rules() {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** · severity **%s** · `%s`\n\n%s\n\n", r.ID, r.Title, r.Severity, r.Name, r.Rationale)
		fmt.Fprintf(&b, "Example: %s\n", r.Example)
		if len(r.Refs) > 0 {
			b.WriteString("\nReferences:\n")
			for _, ref := range r.Refs {
				fmt.Fprintf(&b, "- %s [%s](%s): %s\n", ref.Framework, ref.ID, ref.URL, ref.Name)
			}
		}
	}
	return b.Bytes()
}

func lowerID(id string) string { return string(bytes.ToLower([]byte(id))) }

func TestRulesDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "rules.md")
	want := rulesDoc()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/rules.md is out of date: run go test ./finding -run TestRulesDoc -update")
	}
	for _, r := range Rules() {
		if r.Example == "" {
			t.Errorf("%s has no example", r.ID)
		}
	}
}
