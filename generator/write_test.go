package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testSet(t *testing.T, files map[string]string) *FileSet {
	t.Helper()
	var s FileSet
	for p, c := range files {
		if err := s.Add(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &s
}

// tree returns every file under dir (slash paths) with its content; symbolic
// links are shown as "-> target".
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case e.IsDir():
			if rel != "." {
				out[rel+"/"] = ""
			}
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// noLeftovers fails if the parent holds anything but the listed names, e.g.
// a temporary directory Write forgot.
func noLeftovers(t *testing.T, parent string, allowed ...string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(allowed, e.Name()) {
			t.Errorf("left behind in %s: %s", parent, e.Name())
		}
	}
}

func injectFailure(t *testing.T, at string) {
	t.Helper()
	testHookBeforePlace = func(rel string) error {
		if rel == at {
			return errors.New("injected failure")
		}
		return nil
	}
	t.Cleanup(func() { testHookBeforePlace = nil })
}

var sample = map[string]string{
	"go.mod":                "module x\n",
	"cmd/x/main.go":         "package main\n",
	"internal/tools/a.go":   "package tools\n",
	".github/workflows/c.y": "on: push\n",
}

func TestWriteNewTarget(t *testing.T) {
	parent := t.TempDir()
	target := filepath.Join(parent, "deep", "er", "weather")
	if err := Write(testSet(t, sample), target, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, target)
	for p, c := range sample {
		if got[p] != c {
			t.Errorf("%s = %q, want %q", p, got[p], c)
		}
	}
	info, err := os.Stat(target)
	if err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("target mode = %v, %v; want 0755 (not the temporary directory's 0700)", info.Mode(), err)
	}
	noLeftovers(t, filepath.Dir(target), "weather")
}

func TestWriteNewTargetFailureLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	target := filepath.Join(parent, "made", "weather")
	injectFailure(t, "internal/tools/a.go")
	err := Write(testSet(t, sample), target, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Write = %v, want the injected failure", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a failed write: %v", err)
	}
	// Directories Write created for the target's parent are gone too.
	noLeftovers(t, parent)
}

func TestWriteFailureUnwritableParent(t *testing.T) {
	parent := t.TempDir()
	// A file where the parent directory should be: nothing can be created.
	blocker := filepath.Join(parent, "blocker")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(testSet(t, sample), filepath.Join(blocker, "weather"), WriteOptions{})
	if err == nil {
		t.Fatal("Write below a file succeeded")
	}
	noLeftovers(t, parent, "blocker")
}

func TestWriteRefusesNonEmpty(t *testing.T) {
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "mine.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, target)
	err := Write(testSet(t, sample), target, WriteOptions{})
	if !errors.Is(err, ErrTargetNotEmpty) || !IsUsage(err) {
		t.Fatalf("Write = %v, want ErrTargetNotEmpty", err)
	}
	if want := `target directory "` + target + `" is not empty; choose another --dir or pass --force`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	if !equalTree(before, tree(t, target)) {
		t.Error("a refused write changed the target")
	}
	noLeftovers(t, filepath.Dir(target), filepath.Base(target))
}

func TestWriteEmptyExistingDir(t *testing.T) {
	target := t.TempDir()
	if err := Write(testSet(t, sample), target, WriteOptions{}); err != nil {
		t.Fatalf("an empty existing directory is refused: %v", err)
	}
	if got := tree(t, target); got["go.mod"] != "module x\n" {
		t.Errorf("tree = %v", got)
	}
}

func TestWriteTargetIsFile(t *testing.T) {
	target := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(testSet(t, sample), target, WriteOptions{Force: true})
	if !errors.Is(err, ErrTargetNotDir) || !IsUsage(err) {
		t.Errorf("Write over a file = %v, want ErrTargetNotDir", err)
	}
}

func TestWriteForceLeavesForeignFiles(t *testing.T) {
	target := t.TempDir()
	files := map[string]string{
		"mine.txt":          "mine",
		"go.mod":            "old go.mod",
		"internal/keep.go":  "package internal",
		"cmd/x/old_file.go": "package main // old",
	}
	for p, c := range files {
		writeFile(filepath.Join(target, p), []byte(c), 0o600)
	}
	mineInfo, _ := os.Stat(filepath.Join(target, "mine.txt"))
	if err := Write(testSet(t, sample), target, WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, target)
	for p, c := range sample {
		if got[p] != c {
			t.Errorf("%s = %q, want %q", p, got[p], c)
		}
	}
	for _, p := range []string{"mine.txt", "internal/keep.go", "cmd/x/old_file.go"} {
		if got[p] != files[p] {
			t.Errorf("foreign file %s changed to %q", p, got[p])
		}
	}
	after, _ := os.Stat(filepath.Join(target, "mine.txt"))
	if !after.ModTime().Equal(mineInfo.ModTime()) || after.Mode() != mineInfo.Mode() {
		t.Error("a foreign file was touched")
	}
	noLeftovers(t, filepath.Dir(target), filepath.Base(target))
}

func TestWriteForceFailureRollsBack(t *testing.T) {
	target := t.TempDir()
	writeFile(filepath.Join(target, "go.mod"), []byte("old go.mod"), 0o644)
	writeFile(filepath.Join(target, "mine.txt"), []byte("mine"), 0o644)
	before := tree(t, target)
	// Sorted order: .github/..., cmd/x/main.go, go.mod, internal/tools/a.go:
	// fail on the last one, after go.mod was replaced and new dirs made.
	injectFailure(t, "internal/tools/a.go")
	err := Write(testSet(t, sample), target, WriteOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Write = %v, want the injected failure", err)
	}
	if after := tree(t, target); !equalTree(before, after) {
		t.Errorf("target not restored after a failure:\nbefore %v\nafter  %v", before, after)
	}
	noLeftovers(t, filepath.Dir(target), filepath.Base(target))
}

func TestWriteRefusesSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	target := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(target, "internal")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	err := Write(testSet(t, sample), target, WriteOptions{Force: true})
	if !errors.Is(err, ErrEscapesTarget) || !IsUsage(err) {
		t.Fatalf("Write through an escaping symlink = %v, want ErrEscapesTarget", err)
	}
	if got := tree(t, outside); len(got) != 0 {
		t.Errorf("files written outside the target: %v", got)
	}
	if got := tree(t, target); len(got) != 1 {
		t.Errorf("target changed: %v", got)
	}

	// A link that stays inside the target is followed.
	inside := t.TempDir()
	os.Mkdir(filepath.Join(inside, "real"), 0o755)
	os.Symlink("real", filepath.Join(inside, "internal"))
	if err := Write(testSet(t, sample), inside, WriteOptions{Force: true}); err != nil {
		t.Fatalf("Write through an inner symlink: %v", err)
	}
	if _, err := os.Stat(filepath.Join(inside, "real", "tools", "a.go")); err != nil {
		t.Errorf("file not written through the inner link: %v", err)
	}
}

func TestWriteRefusesDirectoryWhereFileGoes(t *testing.T) {
	target := t.TempDir()
	os.MkdirAll(filepath.Join(target, "go.mod"), 0o755)
	err := Write(testSet(t, sample), target, WriteOptions{Force: true})
	if !errors.Is(err, ErrEscapesTarget) || !strings.Contains(err.Error(), "a directory of that name exists") {
		t.Errorf("Write = %v", err)
	}
	os.RemoveAll(filepath.Join(target, "go.mod"))
	writeFile(filepath.Join(target, "cmd"), []byte("x"), 0o644)
	err = Write(testSet(t, sample), target, WriteOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "is a file, not a directory") {
		t.Errorf("Write = %v", err)
	}
	if got := tree(t, target); len(got) != 1 {
		t.Errorf("a refused write changed the target: %v", got)
	}
}

func TestWriteRefusesUnsafePathsInSet(t *testing.T) {
	// A FileSet cannot hold them through Add; build one by hand, as a bug
	// elsewhere might.
	s := &FileSet{files: []File{{Path: "../escape", Data: []byte("x"), Mode: 0o644}}}
	parent := t.TempDir()
	target := filepath.Join(parent, "t")
	if err := Write(s, target, WriteOptions{}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("Write = %v, want ErrUnsafePath", err)
	}
	noLeftovers(t, parent)
	if err := CheckTarget(s, target, WriteOptions{}); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("CheckTarget = %v, want ErrUnsafePath", err)
	}
}
