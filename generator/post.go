package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tidy runs `go mod tidy` in dir, then records the new hashes of go.mod and
// go.sum in dir's .mcpforge.toml. It uses the caller's environment as it is,
// so it works offline whenever the module cache already holds the versions
// the generated go.mod pins (the ones mcpforge itself was built with). On
// failure the error carries go's own message; the files stay as written.
func Tidy(ctx context.Context, dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return errors.New("go mod tidy: the go command is not on PATH; install Go, or pass --no-tidy and run go mod tidy later")
	}
	if err := runIn(ctx, dir, goBin, "mod", "tidy"); err != nil {
		return fmt.Errorf("go mod tidy in %s failed; the files are written, fix the problem and run go mod tidy there: %w", dir, err)
	}
	if err := RefreshRecord(dir, "go.mod", "go.sum"); err != nil {
		return fmt.Errorf("after go mod tidy: %w", err)
	}
	return nil
}

// GitInit runs `git init` in dir, without committing, so no git identity is
// needed. The branch is named main rather than whatever the local git
// defaults to, and the hint git prints about that is avoided. A directory
// that already has a .git is left alone.
func GitInit(ctx context.Context, dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return nil
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return errors.New("git init: the git command is not on PATH; install git, or pass --no-git")
	}
	if err := runIn(ctx, dir, gitBin, "-c", "init.defaultBranch=main", "init", "--quiet"); err != nil {
		return fmt.Errorf("git init in %s failed; the files are written: %w", dir, err)
	}
	return nil
}

// runIn runs a command in dir and turns a failure into an error carrying its
// standard error output.
func runIn(ctx context.Context, dir, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr // neither command should print; keep anything for the error
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%v:\n%s", err, msg)
		}
		return err
	}
	return nil
}
