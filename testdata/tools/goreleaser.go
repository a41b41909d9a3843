package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/modfile"
)

// goreleaserModule is the module whose command is built; its version is the
// one this module's go.mod requires (a tool directive).
const goreleaserModule = "github.com/goreleaser/goreleaser/v2"

func runGoreleaser(args []string, out io.Writer) error {
	cl, err := parseArgs(args, []string{"snapshot"}, []string{"goreleaser", "remote"})
	if err != nil {
		return err
	}
	dir, err := cl.one("repository directory")
	if err != nil {
		return err
	}
	bin := cl.last("goreleaser")
	if bin == "" {
		bin, err = buildGoreleaser(out)
		if err != nil {
			return err
		}
	}
	remote := cl.last("remote")
	if remote == "" {
		remote = "https://github.com/example/" + filepath.Base(filepath.Clean(dir)) + ".git"
	}
	findings, err := checkGoreleaser(bin, dir, remote, cl.last("snapshot") != "", out)
	if err != nil {
		return err
	}
	return report(out, "goreleaser check of "+dir, findings)
}

// checkGoreleaser runs "goreleaser check" in a git-initialised copy of dir
// with one commit and an origin remote, as a pushed repository has
// (goreleaser derives the release's owner and name from the remote). Besides
// its exit status, any warning it prints — deprecations above all — is a
// finding.
//
// With snapshot it also runs a snapshot release without the container image
// and the before hooks (both would need the network) and checks the binary
// for this platform reports the snapshot version: the config's templates,
// builds, archives and checksums then work, not only parse.
func checkGoreleaser(bin, dir, remote string, snapshot bool, out io.Writer) ([]string, error) {
	work, err := os.MkdirTemp("", "validate-goreleaser-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if err := copyTree(dir, work); err != nil {
		return nil, fmt.Errorf("copy %s: %w", dir, err)
	}
	git := func(args ...string) error {
		cmd := exec.Command("git", append([]string{"-c", "user.name=validate", "-c", "user.email=validate@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = work
		if output, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, output)
		}
		return nil
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "--no-verify", "-m", "generated"}, {"remote", "add", "origin", remote}} {
		if err := git(args...); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, "check")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	output, err := cmd.CombinedOutput()
	fmt.Fprintf(out, "%s", output)
	var findings []string
	if err != nil {
		findings = append(findings, fmt.Sprintf("goreleaser check failed: %v", err))
	}
	findings = append(findings, goreleaserWarnings(output)...)
	if snapshot && len(findings) == 0 {
		findings = append(findings, snapshotRelease(bin, work, out)...)
	}
	return findings, nil
}

// goreleaserWarnings returns the lines of goreleaser output that warn.
func goreleaserWarnings(output []byte) []string {
	var findings []string
	for _, line := range strings.Split(string(output), "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "deprecat") || strings.Contains(l, "warn") || strings.Contains(l, "⚠") {
			findings = append(findings, "goreleaser: "+strings.TrimSpace(line))
		}
	}
	return findings
}

// snapshotRelease runs "goreleaser release --snapshot" in work and runs the
// binary built for this platform, expecting the stamped snapshot version in
// its output (the generated server prints it with --version).
func snapshotRelease(bin, work string, out io.Writer) []string {
	cmd := exec.Command(bin, "release", "--snapshot", "--clean", "--skip=docker,publish,before")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	output, err := cmd.CombinedOutput()
	fmt.Fprintf(out, "%s", output)
	if err != nil {
		return []string{fmt.Sprintf("goreleaser release --snapshot failed: %v", err)}
	}
	findings := goreleaserWarnings(output)
	var meta struct {
		Version string `json:"version"`
	}
	var artifacts []struct {
		Type, Goos, Goarch, Path string
	}
	if err := readJSON(filepath.Join(work, "dist", "metadata.json"), &meta); err != nil {
		return append(findings, err.Error())
	}
	if err := readJSON(filepath.Join(work, "dist", "artifacts.json"), &artifacts); err != nil {
		return append(findings, err.Error())
	}
	platforms := map[string]bool{}
	var native string
	for _, a := range artifacts {
		if a.Type != "Binary" {
			continue
		}
		platforms[a.Goos+"/"+a.Goarch] = true
		if a.Goos == runtime.GOOS && a.Goarch == runtime.GOARCH {
			native = filepath.Join(work, filepath.FromSlash(a.Path))
		}
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			if !platforms[goos+"/"+goarch] {
				findings = append(findings, fmt.Sprintf("snapshot release built no binary for %s/%s", goos, goarch))
			}
		}
	}
	if native == "" {
		return append(findings, fmt.Sprintf("snapshot release built no binary for this platform (%s/%s)", runtime.GOOS, runtime.GOARCH))
	}
	got, err := exec.Command(native, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(got), meta.Version) {
		findings = append(findings, fmt.Sprintf("%s --version printed %q (%v), want the stamped version %s", native, strings.TrimSpace(string(got)), err, meta.Version))
	}
	return findings
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// buildGoreleaser builds the goreleaser command of the version this module
// requires into the user cache directory, once per version, and returns its
// path. The module cache makes this work offline after the first download.
func buildGoreleaser(out io.Writer) (string, error) {
	moduleDir, err := toolsModuleDir()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if err != nil {
		return "", err
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return "", err
	}
	version := ""
	for _, r := range mf.Require {
		if r.Mod.Path == goreleaserModule {
			version = r.Mod.Version
		}
	}
	if version == "" {
		return "", fmt.Errorf("%s requires no %s; run go get -tool %s@VERSION there", filepath.Join(moduleDir, "go.mod"), goreleaserModule, goreleaserModule)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "mcpforge-validate", "goreleaser-"+version)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(out, "building goreleaser %s into %s\n", version, bin)
	cmd := exec.Command("go", "build", "-o", bin, goreleaserModule)
	cmd.Dir = moduleDir
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build goreleaser: %v\n%s", err, output)
	}
	return bin, nil
}

// toolsModuleDir finds this module's directory: the working directory when
// run with "go run .", else the directory this file was compiled from.
func toolsModuleDir() (string, error) {
	candidates := []string{}
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Dir(file))
	}
	for _, dir := range candidates {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(data) == "github.com/mcpforge/mcpforge/testdata/tools" {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cannot find the testdata/tools module to build goreleaser from; run from that directory or pass --goreleaser BIN")
}

// copyTree copies the regular files and directories of src into dst,
// leaving out any .git directory.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}
