package generator

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFileSetAdd(t *testing.T) {
	var s FileSet
	for _, p := range []string{"b.txt", "a/x.go", ".hidden", "a/y.go"} {
		if err := s.Add(p, []byte(p), 0o644); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
	}
	if got, want := s.Paths(), []string{".hidden", "a/x.go", "a/y.go", "b.txt"}; !slices.Equal(got, want) {
		t.Errorf("paths = %v, want sorted %v", got, want)
	}
	if s.Size() != len(".hidden")+len("a/x.go")+len("a/y.go")+len("b.txt") {
		t.Errorf("size = %d", s.Size())
	}
	if plan := s.Plan(); len(plan) != 4 || plan[1] != (PlanEntry{Path: "a/x.go", Size: 6}) {
		t.Errorf("plan = %v", plan)
	}
	if err := s.Add("b.txt", nil, 0o644); err == nil || !strings.Contains(err.Error(), "generated twice") {
		t.Errorf("duplicate accepted: %v", err)
	}
	if err := s.Add("b.txt/c", nil, 0o644); err == nil || !strings.Contains(err.Error(), "one would be a directory") {
		t.Errorf("file below a file accepted: %v", err)
	}
	if err := s.Add("a", nil, 0o644); err == nil || !strings.Contains(err.Error(), "one would be a directory") {
		t.Errorf("file over a directory accepted: %v", err)
	}
}

func TestFileSetRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{
		"", ".", "..", "../x", "a/../../x", "a/..", "/etc/passwd", `a\b`, `..\x`, "a//b", "a/./b", "./a", "a/",
	} {
		var s FileSet
		err := s.Add(p, []byte("x"), 0o644)
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("Add(%q) = %v, want ErrUnsafePath", p, err)
		}
		if s.Len() != 0 {
			t.Errorf("Add(%q) added a file", p)
		}
	}
}
