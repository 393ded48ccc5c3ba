package framework

import "testing"

func TestATLASLookup(t *testing.T) {
	for id, want := range map[string]string{
		"AML.T0010.003": "Model",
		"AML.T0011.000": "Unsafe AI Artifacts",
		"AML.T0010":     "AI Supply Chain Compromise",
	} {
		r, err := ATLASTechnique(id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != want {
			t.Errorf("%s: name %q, want %q", id, r.Name, want)
		}
	}
	if _, err := ATLASTechnique("AML.T9999"); err == nil {
		t.Error("an unknown technique was accepted")
	}
}
