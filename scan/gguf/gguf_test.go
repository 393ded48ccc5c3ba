package gguf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func checkFile(t testing.TB, path string) (*Result, []finding.Finding, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Check(bytes.NewReader(data), int64(len(data)), Config{Location: finding.Location{Path: path, Member: []string{"outer.zip"}}})
}

func TestBenign(t *testing.T) {
	want := map[string]struct {
		version uint32
		tensors int
		big     bool
		align   int64
	}{
		"llama_v3_align32.gguf":   {3, 5, false, 32},
		"llama_v3_align64.gguf":   {3, 5, false, 64},
		"llama_v2.gguf":           {2, 5, false, 32},
		"llama_v1.gguf":           {1, 5, false, 32},
		"llama_v3_bigendian.gguf": {3, 5, true, 32},
		"named_templates.gguf":    {3, 1, false, 32},
		"no_tensors.gguf":         {3, 0, false, 32},
	}
	files, _ := filepath.Glob("testdata/benign/*.gguf")
	if len(files) != len(want) {
		t.Fatalf("%d benign fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		res, fs, err := checkFile(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(fs) != 0 {
			t.Errorf("%s: unexpected findings %+v", f, fs)
		}
		w := want[filepath.Base(f)]
		if res.Version != w.version || res.Tensors != w.tensors || res.BigEndian != w.big || res.Alignment != w.align {
			t.Errorf("%s: result %+v, want %+v", f, res, w)
		}
		if res.Architecture != "llama" {
			t.Errorf("%s: architecture %q", f, res.Architecture)
		}
	}
	res, _, _ := checkFile(t, "testdata/benign/llama_v3_align32.gguf")
	if !strings.Contains(res.Metadata["tokenizer.chat_template"], "<|start_header_id|>") || res.Metadata["general.name"] != "modelward-tiny-llama" {
		t.Errorf("metadata not kept: %v", res.Metadata)
	}
	if _, ok := res.Metadata["tokenizer.ggml.tokens"]; ok {
		t.Error("array value kept as a string")
	}
}

type expect struct {
	rule string
	sev  finding.Severity
	text string // a fragment of the message
}

var malicious = map[string][]expect{
	"chat_template_cve_2024_34359.gguf": {{finding.TemplateInjection, finding.Critical, "tokenizer.chat_template"}},
	"named_template_escape.gguf":        {{finding.TemplateInjection, finding.Critical, "tokenizer.chat_template.rag"}},
	"description_template.gguf":         {{finding.TemplateInjection, finding.Critical, "general.description"}},
	"tensor_past_end.gguf":              {{finding.StructureInvalid, finding.High, "runs past the end"}},
	"overlapping_tensors.gguf":          {{finding.StructureInvalid, finding.High, `overlaps tensor "token_embd.weight"`}},
	"huge_tensor_count.gguf":            {{finding.StructureInvalid, finding.High, "tensor_count is 1152921504606846976"}},
	"huge_kv_count.gguf":                {{finding.StructureInvalid, finding.High, "metadata_kv_count"}},
	"huge_string_length.gguf":           {{finding.StructureInvalid, finding.High, "runs past the end of the file"}},
	"unaligned_offset.gguf":             {{finding.StructureInvalid, finding.High, "not a multiple of the alignment 32"}},
	"nested_array_bomb.gguf":            {{finding.LimitReached, finding.High, "nests arrays deeper"}},
	"array_count_bomb.gguf":             {{finding.StructureInvalid, finding.High, "claims 2305843009213693952 elements"}},
	"unknown_type.gguf":                 {{finding.StructureInvalid, finding.High, "unknown ggml type 200"}},
	"duplicate_tensor_names.gguf":       {{finding.StructureInvalid, finding.High, "used twice"}},
	"elf_in_metadata.gguf":              {{finding.PickleExecutable, finding.High, "general.payload holds an ELF"}},
	"elf_in_token_array.gguf":           {{finding.PickleExecutable, finding.High, "tokenizer.ggml.added_tokens[] holds an ELF"}},
	"bad_alignment.gguf":                {{finding.StructureInvalid, finding.High, "general.alignment is 48"}},
	"truncated.gguf":                    {{finding.StructureInvalid, finding.High, "cannot be parsed past"}},
	"bad_version.gguf":                  {{finding.StructureInvalid, finding.High, "unsupported GGUF version 99"}},
}

func TestMalicious(t *testing.T) {
	files, _ := filepath.Glob("testdata/malicious/*.gguf")
	if len(files) != len(malicious) {
		t.Errorf("%d malicious fixtures, %d expectations", len(files), len(malicious))
	}
	for _, f := range files {
		exp, ok := malicious[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: no expectation", f)
			continue
		}
		_, fs, err := checkFile(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range exp {
			if !hasFinding(fs, e) {
				t.Errorf("%s: no %s/%v finding mentioning %q in %+v", f, e.rule, e.sev, e.text, fs)
			}
		}
		for _, x := range fs {
			if len(x.Location.Member) < 1 || x.Location.Member[0] != "outer.zip" {
				t.Errorf("%s: base location lost: %+v", f, x.Location)
			}
		}
	}
}

func hasFinding(fs []finding.Finding, e expect) bool {
	for _, f := range fs {
		if f.Rule == e.rule && f.Severity == e.sev && strings.Contains(f.Message, e.text) {
			return true
		}
	}
	return false
}

func TestNotGGUF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("GGU"), []byte("PK\x03\x04xxxxxxxx"), []byte("ggufGGUF")} {
		if _, _, err := Check(bytes.NewReader(in), int64(len(in)), Config{}); !errors.Is(err, ErrNotGGUF) {
			t.Errorf("%q: err %v", in, err)
		}
	}
	if !Is([]byte("GGUF\x03")) || Is([]byte("GGU")) {
		t.Error("Is")
	}
}

// A string over MaxStringBytes is skipped unread and reported as a limit,
// not as a broken file.
func TestStringLimit(t *testing.T) {
	data, _ := os.ReadFile("testdata/benign/llama_v3_align32.gguf")
	_, fs, err := Check(bytes.NewReader(data), int64(len(data)), Config{MaxStringBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !hasFinding(fs, expect{finding.LimitReached, finding.High, "tokenizer.chat_template"}) {
		t.Errorf("no limit finding: %+v", fs)
	}
	for _, f := range fs {
		if f.Rule != finding.LimitReached {
			t.Errorf("unexpected %+v", f)
		}
	}
}

func TestExecutable(t *testing.T) {
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40
	copy(pe[0x40:], "PE\x00\x00")
	cases := map[string]bool{
		"MZ": false, "#!/": false, "#!/bin/sh\necho hi\n": true, "#! /usr/bin/env python\n": true,
		string(pe): true, "MZ" + strings.Repeat("x", 100): false,
		"\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 20): true, "\x7fELF": false,
		"\xcf\xfa\xed\xfe" + strings.Repeat("\x00", 28): true, "hello": false,
	}
	for in, want := range cases {
		if got := executable([]byte(in)) != ""; got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
