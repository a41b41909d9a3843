package generator

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/rogpeppe/go-internal/txtar"
)

// goldenVersion stands in for the mcpforge version in golden trees, so they
// do not change with every release.
const goldenVersion = "v0.0.0-golden"

// TestGolden renders every variant under testdata/variants and compares the
// whole tree with testdata/golden/<variant>.txtar. `go test ./generator
// -update` rewrites the archives after a deliberate change.
func TestGolden(t *testing.T) {
	variants, err := filepath.Glob(filepath.Join("..", "testdata", "variants", "*.toml"))
	if err != nil || len(variants) == 0 {
		t.Fatalf("no variants under testdata/variants: %v", err)
	}
	for _, path := range variants {
		name := strings.TrimSuffix(filepath.Base(path), ".toml")
		t.Run(name, func(t *testing.T) {
			set := renderVariant(t, path)
			got := archive(set)
			goldenPath := filepath.Join("..", "testdata", "golden", name+".txtar")
			if *update {
				if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenPath, txtar.Format(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := txtar.ParseFile(goldenPath)
			if err != nil {
				t.Fatalf("read golden tree: %v; run go test ./generator -run TestGolden -update", err)
			}
			if report := compareArchives(want, got); report != "" {
				t.Errorf("rendered tree differs from the golden tree (go test ./generator -run TestGolden -update accepts it):\n%s", report)
			}
		})
	}
}

// renderVariant renders the answers file at path the way `mcpforge new
// --answers path --yes` does.
func renderVariant(t *testing.T, path string) *FileSet {
	t.Helper()
	a, err := LoadAnswers(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	a = a.WithDefaults()
	if err := a.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	set, err := Render(a, WithVersion(goldenVersion))
	if err != nil {
		t.Fatalf("render %s: %v", path, err)
	}
	return set
}

func archive(set *FileSet) *txtar.Archive {
	ar := &txtar.Archive{Comment: []byte("Golden tree: what mcpforge renders for this variant. Regenerate with go test ./generator -update.\n")}
	for _, f := range set.Files() {
		ar.Files = append(ar.Files, txtar.File{Name: f.Path, Data: f.Data})
	}
	return ar
}

// compareArchives describes every missing, extra and changed file, each
// change as a unified diff; it returns "" when the archives are equal.
func compareArchives(want, got *txtar.Archive) string {
	wantFiles := map[string][]byte{}
	for _, f := range want.Files {
		wantFiles[f.Name] = f.Data
	}
	var problems []string
	for _, f := range got.Files {
		w, ok := wantFiles[f.Name]
		delete(wantFiles, f.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("new file %s (not in the golden tree)", f.Name))
		case !bytes.Equal(w, f.Data):
			problems = append(problems, string(diff.Diff("golden/"+f.Name, w, "rendered/"+f.Name, f.Data)))
		}
	}
	var missing []string
	for name := range wantFiles {
		missing = append(missing, name)
	}
	sort.Strings(missing)
	for _, name := range missing {
		problems = append(problems, fmt.Sprintf("missing file %s (in the golden tree, not rendered)", name))
	}
	return strings.Join(problems, "\n")
}

func TestCompareArchivesReportsDifferences(t *testing.T) {
	want := &txtar.Archive{Files: []txtar.File{{Name: "a", Data: []byte("one\n")}, {Name: "gone", Data: []byte("x\n")}}}
	got := &txtar.Archive{Files: []txtar.File{{Name: "a", Data: []byte("two\n")}, {Name: "new", Data: []byte("y\n")}}}
	report := compareArchives(want, got)
	for _, wantText := range []string{"-one", "+two", "new file new", "missing file gone"} {
		if !strings.Contains(report, wantText) {
			t.Errorf("report lacks %q:\n%s", wantText, report)
		}
	}
	if same := compareArchives(want, want); same != "" {
		t.Errorf("equal archives reported as different:\n%s", same)
	}
}
