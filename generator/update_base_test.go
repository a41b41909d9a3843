package generator

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo puts a go command on PATH that plays an old mcpforge: it refuses
// an answers file holding the key "future" the way mcpforge does, and
// otherwise writes one file whose content is the answers it was given.
func fakeGo(t *testing.T) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
# go run MODULE@VERSION new --answers FILE --dir DIR --yes --no-tidy --no-git
answers=$5 dir=$7
if grep -q '^future' "$answers"; then
	echo "mcpforge: $answers:2: unknown key \"future\"; known keys are name" >&2
	exit 2
fi
if grep -q '^broken' "$answers"; then
	echo "go: github.com/mcpforge/mcpforge@$2: module lookup disabled by GOPROXY=off" >&2
	exit 1
fi
mkdir -p "$dir/sub" && cp "$answers" "$dir/sub/answers.toml" && echo "$3" > "$dir/.mcpforge.toml"
`
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestRenderRecorded(t *testing.T) {
	fakeGo(t)
	ctx := context.Background()
	record := []byte("name = \"w\"\nfuture = \"x\"\n\n[record]\nmcpforge_version = \"v0.1.0\"\n")
	set, notes, err := RenderRecorded(ctx, record, "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := set.Get("sub/answers.toml")
	if !ok || strings.Contains(string(f.Data), "future") || !strings.Contains(string(f.Data), `name = "w"`) {
		t.Errorf("the old version got %q, want the recorded answers without the key it refuses", f.Data)
	}
	if _, ok := set.Get(RecordFile); ok {
		t.Error("the base render includes the old version's record file")
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `does not know the answer "future"`) {
		t.Errorf("notes = %q, want one on the dropped answer", notes)
	}

	_, _, err = RenderRecorded(ctx, []byte("name = \"w\"\nbroken = 1\n"), "v0.1.0")
	if !errors.Is(err, ErrNoBase) || !strings.Contains(err.Error(), "module lookup disabled") {
		t.Errorf("a failing go run: %v, want ErrNoBase with go's message", err)
	}
	for _, v := range []string{DevelVersion, "v0.1.1-0.20261130150000-abcdef123456+dirty"} {
		if _, _, err := RenderRecorded(ctx, record, v); !errors.Is(err, ErrNoBase) || !strings.Contains(err.Error(), "development build") {
			t.Errorf("version %s: %v, want ErrNoBase naming a development build", v, err)
		}
	}
}

func TestCheckClean(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := CheckClean(ctx, dir); !errors.Is(err, ErrDirtyTree) || !strings.Contains(err.Error(), "not in a git repository") {
		t.Errorf("outside git: %v", err)
	}
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=o", "-c", "user.email=o@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "-q")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", "a\n")
	write(".gitignore", "ignored.txt\n")
	gitIn("add", ".")
	gitIn("commit", "-q", "-m", "x")
	if err := CheckClean(ctx, dir); err != nil {
		t.Errorf("clean tree: %v", err)
	}
	write("ignored.txt", "x")
	if err := CheckClean(ctx, dir); err != nil {
		t.Errorf("an ignored file makes the tree dirty: %v", err)
	}
	write("new.txt", "x")
	if err := CheckClean(ctx, dir); !errors.Is(err, ErrDirtyTree) || !strings.Contains(err.Error(), "new.txt") {
		t.Errorf("untracked file: %v", err)
	}
	os.Remove(filepath.Join(dir, "new.txt"))
	write("a.txt", "changed\n")
	if err := CheckClean(ctx, dir); !errors.Is(err, ErrDirtyTree) || !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("modified file: %v", err)
	}
}
