// Package framework names the public catalogues that findings map to:
// MITRE ATLAS techniques, the OWASP Machine Learning Security Top 10 and the
// OWASP Top 10 for LLM Applications.
//
// The MITRE ATLAS data (atlas.yaml, version 5.6.0) is embedded unchanged
// under the Apache License 2.0; see ATLAS-LICENSE beside this file.
// Copyright 2021-2025 MITRE.
package framework

import (
	_ "embed"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Catalogue names.
const (
	ATLAS      = "MITRE ATLAS"
	OWASPML    = "OWASP ML Top 10 (2023)"
	OWASPLLM   = "OWASP Top 10 for LLM Applications (2025)"
	atlasURL   = "https://atlas.mitre.org/techniques/"
	owaspMLURL = "https://owasp.org/www-project-machine-learning-security-top-10/docs/"
)

// Ref points at one entry of one catalogue.
type Ref struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"`
}

func (r Ref) String() string { return fmt.Sprintf("%s %s (%s)", r.Framework, r.ID, r.Name) }

// ATLASTechnique returns a reference to an ATLAS technique by ID, looked up
// in the embedded catalogue; it fails for an ID the catalogue lacks.
func ATLASTechnique(id string) (Ref, error) {
	techs, err := atlasTechniques()
	if err != nil {
		return Ref{}, err
	}
	name, ok := techs[id]
	if !ok {
		return Ref{}, fmt.Errorf("ATLAS technique %s is not in the embedded catalogue (version %s)", id, atlasVersion)
	}
	path := id
	return Ref{Framework: ATLAS, ID: id, Name: name, URL: atlasURL + path}, nil
}

// MustATLAS is ATLASTechnique for IDs fixed in the source; tests check them all.
func MustATLAS(id, name string) Ref {
	return Ref{Framework: ATLAS, ID: id, Name: name, URL: atlasURL + id}
}

// OWASPMLRef references an entry of the OWASP ML Security Top 10.
func OWASPMLRef(id, name, slug string) Ref {
	return Ref{Framework: OWASPML, ID: id, Name: name, URL: owaspMLURL + slug}
}

// OWASPLLMRef references an entry of the OWASP Top 10 for LLM Applications.
func OWASPLLMRef(id, name string) Ref {
	return Ref{Framework: OWASPLLM, ID: id, Name: name, URL: "https://genai.owasp.org/llm-top-10/"}
}

//go:embed atlas.yaml
var atlasYAML []byte

const atlasVersion = "5.6.0"

var (
	atlasOnce  sync.Once
	atlasIndex map[string]string
	atlasErr   error
)

// atlasTechniques parses the embedded catalogue once, on first use, so that
// commands that never render references pay nothing for it.
func atlasTechniques() (map[string]string, error) {
	atlasOnce.Do(func() {
		var doc struct {
			Matrices []struct {
				Techniques []struct {
					ID   string `yaml:"id"`
					Name string `yaml:"name"`
				} `yaml:"techniques"`
			} `yaml:"matrices"`
		}
		if err := yaml.Unmarshal(atlasYAML, &doc); err != nil {
			atlasErr = fmt.Errorf("reading the embedded ATLAS catalogue: %w", err)
			return
		}
		atlasIndex = make(map[string]string)
		for _, m := range doc.Matrices {
			for _, t := range m.Techniques {
				atlasIndex[t.ID] = t.Name
			}
		}
	})
	return atlasIndex, atlasErr
}
