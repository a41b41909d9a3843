package generator

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// writeFakeRepo renders a tiny module whose go.mod carries a requirement
// that `go mod tidy` must drop, and writes it.
func writeFakeRepo(t *testing.T, gomod string) string {
	t.Helper()
	tm := fstest.MapFS{
		"go.mod.tmpl":               {Data: []byte(gomod)},
		"cmd/__name__/main.go.tmpl": {Data: []byte("package main\n\nimport _ \"{{.Module}}/internal/config\"\n\nfunc main() {}\n")},
	}
	rt := fstest.MapFS{
		"config/config.go":         {Data: []byte("// Package config is a stand-in.\npackage config\n")},
		"toolargs/toolargs.go":     {Data: []byte("// Package toolargs is a stand-in.\npackage toolargs\n")},
		"envelope/envelope.go":     {Data: []byte("// Package envelope is a stand-in.\npackage envelope\n")},
		"promptargs/promptargs.go": {Data: []byte("// Package promptargs is a stand-in.\npackage promptargs\n")},
		"heapfloor/heapfloor.go":   {Data: []byte("// Package heapfloor is a stand-in.\npackage heapfloor\n")},
		"typedtool/typedtool.go":   {Data: []byte("// Package typedtool is a stand-in.\npackage typedtool\n")},
		"typo/typo.go":             {Data: []byte("// Package typo is a stand-in.\npackage typo\n")},
		"telemetry/telemetry.go":   {Data: []byte("// Package telemetry is a stand-in.\npackage telemetry\n")},
	}
	set, err := renderFS(Answers{Name: "w", Transports: []string{"stdio"}}, tm, rt)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w")
	if err := Write(set, dir, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTidy(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	// Offline: the only requirement is one mcpforge itself has in the module
	// cache, and tidy should drop it as unused.
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	dir := writeFakeRepo(t, "module {{.Module}}\n\ngo {{.GoVersion}}\n\nrequire github.com/BurntSushi/toml v1.6.0 // indirect\n")
	if err := Tidy(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(gomod), "BurntSushi") {
		t.Errorf("go mod tidy did not run: go.mod still requires an unused module:\n%s", gomod)
	}
	rec, err := ReadRecord(filepath.Join(dir, RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Files["go.mod"] != hashOf(gomod) {
		t.Errorf("record not refreshed after tidy: go.mod %s, file %s", rec.Files["go.mod"], hashOf(gomod))
	}
	if _, ok := rec.Files["go.sum"]; ok {
		t.Error("record lists a go.sum that tidy did not write")
	}
}

func TestTidyFailureKeepsFiles(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	t.Setenv("GOPROXY", "off")
	dir := writeFakeRepo(t, "module {{.Module}}\n\ngo {{.GoVersion}}\n")
	// An import no module provides, added after rendering (Render refuses it).
	bad := "package main\n\nimport _ \"example.invalid/nothing\"\n"
	if err := os.WriteFile(filepath.Join(dir, "cmd", "w", "bad.go"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Tidy(context.Background(), dir)
	if err == nil {
		t.Fatal("tidy of an unresolvable requirement succeeded")
	}
	for _, want := range []string{"go mod tidy in " + dir + " failed", "files are written", "example.invalid/nothing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "w", "main.go")); err != nil {
		t.Errorf("files gone after a failed tidy: %v", err)
	}
}

func TestGitInit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git command")
	}
	// No identity and no user configuration at all.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	if err := GitInit(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--is-inside-work-tree").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("not a git work tree: %s %v", out, err)
	}
	if out, err := exec.Command("git", "-C", dir, "rev-list", "--all").CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("git init made commits: %q %v", out, err)
	}
	head, _ := os.ReadFile(filepath.Join(dir, ".git", "HEAD"))
	if strings.TrimSpace(string(head)) != "ref: refs/heads/main" {
		t.Errorf("HEAD = %q, want the main branch", head)
	}
	// A second run leaves the repository alone.
	if err := GitInit(context.Background(), dir); err != nil {
		t.Errorf("second GitInit: %v", err)
	}
}

func TestPostStepsWithoutTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	if err := Tidy(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "--no-tidy") {
		t.Errorf("Tidy without go = %v", err)
	}
	if err := GitInit(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "--no-git") {
		t.Errorf("GitInit without git = %v", err)
	}
}
