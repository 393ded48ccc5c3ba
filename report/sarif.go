package report

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"

	"github.com/modelward/modelward/scan"
)

// SARIF constants. The $schema URL is the one GitHub code scanning
// documents; the version is the only one it accepts.
const (
	sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion   = "2.1.0"
	informationURI = "https://github.com/modelward/modelward"
	srcRoot        = "%SRCROOT%"
)

// The subset of SARIF 2.1.0 modelward writes. Field names follow the spec.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	Invocations        []sarifInvocation                `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult                    `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	InformationURI  string      `json:"informationUri"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// sarifRegion is a binary region: SARIF forbids mixing it with line and
// column properties, so it carries the byte offset alone.
type sarifRegion struct {
	ByteOffset int64 `json:"byteOffset"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
}

// writeSARIF renders one run. Invocation success means the scan ran to the
// end; files that could not be read are reported as error notifications
// (and fail the CLI through its exit code), not as a failed run.
func writeSARIF(w io.Writer, r *scan.Report, o Options) error {
	cat := newCatalogue(r)
	root := newURIRoot(o.BaseDir)
	run := sarifRun{
		Tool:        sarifTool{Driver: driver(o.ToolVersion, cat)},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true, ToolExecutionNotifications: notifications(r, root)}},
		Results:     results(r, cat, root),
	}
	if base := root.baseURI(); base != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocation{srcRoot: {URI: base}}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: sarifVersion, Runs: []sarifRun{run}})
}

func driver(version string, cat *catalogue) sarifDriver {
	d := sarifDriver{Name: "modelward", InformationURI: informationURI, Version: version, Rules: cat.rules}
	if v := strings.TrimPrefix(version, "v"); semver.MatchString(v) {
		d.SemanticVersion = v
	}
	return d
}

// semver matches a semantic version (semver.org 2.0.0, without the
// leading-zero subtleties); other version strings go in driver.version only.
var semver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// notifications reports each file that could not be read (or carries an
// error from the scanner), so a failed file is never silently absent.
func notifications(r *scan.Report, root uriRoot) []sarifNotification {
	var out []sarifNotification
	for _, f := range r.Files {
		if f.Error == "" && f.Verdict != scan.Failed {
			continue
		}
		text := "Could not scan " + f.Path
		if f.Error != "" {
			text += ": " + f.Error
		}
		out = append(out, sarifNotification{
			Level:     "error",
			Message:   sarifMessage{Text: text},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: root.artifact(f.Path)}}},
		})
	}
	return out
}
