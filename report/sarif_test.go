package report

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
)

// testdata/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 (errata 01)
// schema, copied unchanged with its licence (testdata/LICENSE.md) so the
// tests need neither the network nor anything outside the repository.
func sarifSchema(t *testing.T) []byte { return readFile(t, "testdata", "sarif-schema-2.1.0.json") }

func decodeSARIF(t *testing.T, r *scan.Report, o Options) sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(render(t, r, SARIF, o), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return log
}

func TestSARIFValidates(t *testing.T) {
	s := compileSchema(t, sarifSchema(t))
	broken := &scan.Report{Files: []scan.FileResult{{Path: pathBroken, Verdict: scan.Failed, Error: "permission denied"}}}
	for name, r := range map[string]*scan.Report{
		"empty": emptyReport(), "mixed": mixedReport(), "io-error": broken,
		"hostile": hostileReport(), "unknown-rule": unknownRuleReport(),
	} {
		for _, o := range []Options{{}, {ToolVersion: "v1.4.0-rc.1", BaseDir: "models"}, {ToolVersion: "dev", BaseDir: "/nonexistent"}} {
			t.Run(name, func(t *testing.T) {
				out := render(t, r, SARIF, o)
				validate(t, s, out)
				checkGitHub(t, out)
			})
		}
	}
}

// strictURI admits only unreserved characters, "/", a "file:" scheme and
// well-formed percent escapes. The schema's uri-reference format check is
// lenient (it accepts spaces), so URIs are checked here as well.
var strictURI = regexp.MustCompile(`^(file:)?([A-Za-z0-9._~/-]|%[0-9A-F]{2})*$`)

// checkGitHub checks what GitHub code scanning needs beyond the schema.
func checkGitHub(t *testing.T, out []byte) {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema != sarifSchemaURI || log.Version != "2.1.0" {
		t.Errorf("header %q %q", log.Schema, log.Version)
	}
	run := log.Runs[0]
	for _, rule := range run.Tool.Driver.Rules {
		sev, err := strconv.ParseFloat(rule.Properties.SecuritySeverity, 64)
		if err != nil || sev < 0 || sev > 10 || rule.Help.Text == "" || !slices.Contains(rule.Properties.Tags, "security") {
			t.Errorf("rule %s not usable by GitHub: %+v", rule.ID, rule)
		}
	}
	for _, res := range run.Results {
		if uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI; !strictURI.MatchString(uri) {
			t.Errorf("URI %q is not strictly RFC 3986", uri)
		}
		if res.Message.Text == "" || len(res.Locations) != 1 || res.PartialFingerprints[fingerprintKey] == "" {
			t.Errorf("result %+v lacks a message, location or fingerprint", res)
		}
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d does not point at %s", res.RuleIndex, res.RuleID)
		}
	}
}

// TestSARIFKeepsEveryFinding checks one result per finding, in file order
// and finding.Sort order, each at the right rule, level and place.
func TestSARIFKeepsEveryFinding(t *testing.T) {
	r := mixedReport()
	res := decodeSARIF(t, r, Options{}).Runs[0].Results
	var want []finding.Finding
	for _, f := range r.Files {
		want = append(want, sortedFindings(f.Findings)...)
	}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, f := range want {
		got := res[i]
		uri := escapePath(filepath.ToSlash(f.Location.Path))
		if got.RuleID != f.Rule || got.Level != level(f.Severity) || got.Properties.Severity != f.Severity.String() ||
			got.Locations[0].PhysicalLocation.ArtifactLocation.URI != uri || !slices.Equal(got.Properties.Member, f.Location.Member) ||
			!strings.HasPrefix(got.Message.Text, f.Message) {
			t.Errorf("result %d = %+v, want %s", i, got, findingKey(f))
		}
	}
}

func TestSARIFLevels(t *testing.T) {
	want := map[finding.Severity][2]string{
		finding.Critical: {"error", "9.5"}, finding.High: {"error", "8.0"}, finding.Medium: {"warning", "5.5"},
		finding.Low: {"note", "3.0"}, finding.Info: {"note", "0.0"},
	}
	for s, w := range want {
		if level(s) != w[0] || securitySeverity(s) != w[1] {
			t.Errorf("%s: %s %s, want %v", s, level(s), securitySeverity(s), w)
		}
	}
}

func TestSARIFRules(t *testing.T) {
	d := decodeSARIF(t, emptyReport(), Options{ToolVersion: "v1.2.3"}).Runs[0].Tool.Driver
	if d.Name != "modelward" || d.Version != "v1.2.3" || d.SemanticVersion != "1.2.3" || d.InformationURI == "" {
		t.Errorf("driver = %+v", d)
	}
	all := finding.Rules()
	if len(d.Rules) != len(all) {
		t.Fatalf("%d rules, want the whole catalogue (%d)", len(d.Rules), len(all))
	}
	mw101 := d.Rules[slices.IndexFunc(d.Rules, func(r sarifRule) bool { return r.ID == finding.PickleDangerous })]
	for _, want := range []string{"AML.T0010.003", "AML.T0011.000", "ML06", "LLM03"} {
		if !slices.Contains(mw101.Properties.Tags, want) || !strings.Contains(mw101.Help.Markdown, want) {
			t.Errorf("MW101 lacks reference %s: %+v", want, mw101)
		}
	}
	if mw101.DefaultConfiguration.Level != "error" || mw101.Properties.SecuritySeverity != "9.5" {
		t.Errorf("MW101 configuration %+v", mw101)
	}
	if v := decodeSARIF(t, emptyReport(), Options{ToolVersion: "dev"}).Runs[0].Tool.Driver; v.SemanticVersion != "" || v.Version != "dev" {
		t.Errorf("non-semver version rendered as %+v", v)
	}
}

func TestSARIFUnknownRuleKept(t *testing.T) {
	run := decodeSARIF(t, unknownRuleReport(), Options{}).Runs[0]
	if len(run.Results) != 1 || run.Results[0].RuleID != "MW999" || run.Results[0].Level != "error" {
		t.Fatalf("results = %+v", run.Results)
	}
	rule := run.Tool.Driver.Rules[run.Results[0].RuleIndex]
	if rule.ID != "MW999" || rule.Properties.SecuritySeverity != "8.0" {
		t.Errorf("stub rule = %+v", rule)
	}
	if run.Results[0].Message.Text == "" {
		t.Error("empty message")
	}
}

func TestSARIFLocations(t *testing.T) {
	res := decodeSARIF(t, mixedReport(), Options{}).Runs[0].Results
	byRule := map[string]sarifResult{}
	for _, r := range res {
		byRule[r.RuleID] = r
	}
	// An offset into the file itself is a binary region.
	if reg := byRule[finding.PickleFrame].Locations[0].PhysicalLocation.Region; reg == nil || reg.ByteOffset != 2 {
		t.Errorf("MW104 region = %+v, want byteOffset 2", reg)
	}
	// An offset inside an archive member is not an offset into the file.
	nested := byRule[finding.PickleNested]
	loc := nested.Locations[0]
	if loc.PhysicalLocation.Region != nil {
		t.Errorf("member finding has a region: %+v", loc.PhysicalLocation.Region)
	}
	if len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].FullyQualifiedName != "inner.zip!/weights/data.pkl" ||
		loc.LogicalLocations[0].Name != "weights/data.pkl" {
		t.Errorf("logical locations = %+v", loc.LogicalLocations)
	}
	if p := nested.Properties; p.Offset == nil || *p.Offset != 130 || p.Evidence == nil || p.Evidence.Import != "pickle.loads" {
		t.Errorf("properties = %+v", p)
	}
	if !strings.HasSuffix(nested.Message.Text, "(in inner.zip!/weights/data.pkl at byte 130)") {
		t.Errorf("message %q does not say where", nested.Message.Text)
	}
	// No offset, no member: no region and no logical location.
	if l := byRule[finding.FormatMismatch].Locations[0]; l.PhysicalLocation.Region != nil || l.LogicalLocations != nil {
		t.Errorf("MW302 location = %+v", l)
	}
}

func TestSARIFURIs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the expected URIs are written for slash paths")
	}
	base := t.TempDir()
	cases := []struct{ path, uri, baseID string }{
		{pathEvil, "models/evil%20model.pt", srcRoot},
		{pathUnicode, "models/%C3%B1and%C3%BA/%E6%A8%A1%E5%9E%8B.pkl", srcRoot},
		{"odd #?%:name.pt", "odd%20%23%3F%25%3Aname.pt", srcRoot},
		{filepath.Join(base, "a b.pt"), "a%20b.pt", srcRoot},
		{"/elsewhere/x y.pt", "file:///elsewhere/x%20y.pt", ""},
	}
	root := newURIRoot(base)
	for _, c := range cases {
		p := c.path
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p) // as the CLI would pass it
		}
		got := root.artifact(p)
		if got.URI != c.uri || got.URIBaseID != c.baseID {
			t.Errorf("%q -> %+v, want %q %q", c.path, got, c.uri, c.baseID)
		}
	}
	if got, want := root.baseURI(), "file://"+escapePath(base)+"/"; got != want {
		t.Errorf("baseURI = %q, want %q", got, want)
	}
	if newURIRoot("").baseURI() != "" {
		t.Error("the current directory leaked into originalUriBaseIds")
	}
}

func TestSARIFBaseDirInOutput(t *testing.T) {
	run := decodeSARIF(t, mixedReport(), Options{BaseDir: "models"}).Runs[0]
	if run.OriginalURIBaseIDs[srcRoot].URI == "" {
		t.Error("no originalUriBaseIds with an explicit BaseDir")
	}
	got := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	if got != (sarifArtifactLocation{URI: "evil%20model.pt", URIBaseID: srcRoot}) {
		t.Errorf("artifact location = %+v", got)
	}
}

func TestSARIFNotifications(t *testing.T) {
	inv := decodeSARIF(t, mixedReport(), Options{}).Runs[0].Invocations
	if len(inv) != 1 || !inv[0].ExecutionSuccessful {
		t.Fatalf("invocations = %+v", inv)
	}
	n := inv[0].ToolExecutionNotifications
	if len(n) != 1 || n[0].Level != "error" || !strings.Contains(n[0].Message.Text, "permission denied") ||
		n[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "unreadable%20weights.bin" {
		t.Errorf("notifications = %+v", n)
	}
	if n := decodeSARIF(t, emptyReport(), Options{}).Runs[0].Invocations[0].ToolExecutionNotifications; n != nil {
		t.Errorf("notifications for an empty report: %+v", n)
	}
}

func TestSARIFEmptyHasResultsArray(t *testing.T) {
	out := string(render(t, emptyReport(), SARIF, Options{}))
	if !strings.Contains(out, `"results": []`) {
		t.Errorf("empty run lacks results: []\n%s", out)
	}
}

// TestSARIFFingerprints: the same finding keeps its fingerprint when only
// its offset, message or checkout location changes, and gets a new one when
// rule, file, member or evidence change.
func TestSARIFFingerprints(t *testing.T) {
	base := fnd(finding.PickleDangerous, finding.Critical, loc("m.pt", 5, "a/data.pkl"), "msg", finding.Evidence{Import: "os.system"})
	fp := fingerprint(base, "m.pt")
	same := base
	same.Location.Offset, same.Message = 900, "reworded"
	if fingerprint(same, "m.pt") != fp {
		t.Error("offset or message changed the fingerprint")
	}
	for name, change := range map[string]func(*finding.Finding){
		"rule":     func(f *finding.Finding) { f.Rule = finding.PickleDenied },
		"member":   func(f *finding.Finding) { f.Location.Member = []string{"b/data.pkl"} },
		"evidence": func(f *finding.Finding) { f.Evidence.Import = "posix.system" },
		"args":     func(f *finding.Finding) { f.Evidence.Args = []string{"'id'"} },
	} {
		f := base
		f.Location.Member = slices.Clone(base.Location.Member)
		change(&f)
		if fingerprint(f, "m.pt") == fp {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
	if fingerprint(base, "n.pt") == fp {
		t.Error("changing the file kept the fingerprint")
	}
	dir1, dir2 := t.TempDir(), t.TempDir()
	a := decodeSARIF(t, rebase(mixedReport(), dir1), Options{BaseDir: dir1}).Runs[0].Results
	b := decodeSARIF(t, rebase(mixedReport(), dir2), Options{BaseDir: dir2}).Runs[0].Results
	if strings.HasPrefix(a[0].Locations[0].PhysicalLocation.ArtifactLocation.URI, "file:") {
		t.Fatal("rebased paths did not become relative")
	}
	for i := range a {
		if a[i].PartialFingerprints[fingerprintKey] != b[i].PartialFingerprints[fingerprintKey] {
			t.Errorf("result %d: fingerprint depends on the checkout directory", i)
		}
	}
}

// rebase moves every path of r under dir, as two CI checkouts would.
func rebase(r *scan.Report, dir string) *scan.Report {
	for i := range r.Files {
		f := &r.Files[i]
		f.Path = filepath.Join(dir, f.Path)
		for j := range f.Findings {
			f.Findings[j].Location.Path = filepath.Join(dir, f.Findings[j].Location.Path)
		}
	}
	return r
}

// TestSARIFSchemaIsActive guards the guard: a plainly invalid document must
// fail validation, or the tests above prove nothing.
func TestSARIFSchemaIsActive(t *testing.T) {
	s := compileSchema(t, sarifSchema(t))
	good := string(render(t, mixedReport(), SARIF, Options{}))
	for _, edit := range [][2]string{
		{`"level": "error"`, `"level": "fatal"`},
		{`"version": "2.1.0"`, `"version": "2.0.0"`},
		{`"byteOffset": 2`, `"byteOffset": -5`},
	} {
		bad := strings.Replace(good, edit[0], edit[1], 1)
		if bad == good {
			t.Fatalf("fixture lacks %s", edit[0])
		}
		if s.Validate(mustUnmarshal(t, []byte(bad))) == nil {
			t.Errorf("SARIF schema accepted %s", edit[1])
		}
	}
}
