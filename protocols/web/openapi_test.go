package web

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"strongroom/vfs/vfstest"
)

// TestOpenAPI checks that docs/openapi.yaml lists every API route the
// handler serves, and nothing else.
func TestOpenAPI(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}

	h := New(vfstest.Embedded(t).FS, discard(), nil)
	var served []string
	for _, rt := range h.routes() {
		if rt.api {
			p := strings.ReplaceAll(rt.pattern, "{path...}", "{path}")
			served = append(served, rt.method+" "+p)
		}
	}

	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("served but not in docs/openapi.yaml: %s", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("in docs/openapi.yaml but not served: %s", d)
		}
	}
	if len(served) == 0 {
		t.Fatal("no API routes found")
	}
}
