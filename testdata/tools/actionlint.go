package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/rhysd/actionlint"
)

func runActionlint(args []string, out io.Writer) error {
	cl, err := parseArgs(args, nil, nil)
	if err != nil {
		return err
	}
	target, err := cl.one("workflow file or repository directory")
	if err != nil {
		return err
	}
	files := []string{target}
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		files = nil
		for _, pattern := range []string{"*.yml", "*.yaml"} {
			m, err := filepath.Glob(filepath.Join(target, ".github", "workflows", pattern))
			if err != nil {
				return err
			}
			files = append(files, m...)
		}
		if len(files) == 0 {
			return fmt.Errorf("no workflow files in %s", filepath.Join(target, ".github", "workflows"))
		}
	}
	findings, err := lintWorkflows(files, out)
	if err != nil {
		return err
	}
	return report(out, fmt.Sprintf("%d workflow file(s)", len(files)), findings)
}

// lintWorkflows runs actionlint over the files. Scripts in run: steps are
// checked with shellcheck (and pyflakes) when they are on PATH, as the
// actionlint command does; the output says whether they were.
func lintWorkflows(files []string, out io.Writer) ([]string, error) {
	opts := &actionlint.LinterOptions{LogWriter: io.Discard}
	for _, tool := range []struct {
		name string
		set  *string
	}{{"shellcheck", &opts.Shellcheck}, {"pyflakes", &opts.Pyflakes}} {
		if p, err := exec.LookPath(tool.name); err == nil {
			*tool.set = p
		} else {
			fmt.Fprintf(out, "note: %s is not on PATH; run: scripts are not checked by it\n", tool.name)
		}
	}
	linter, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		return nil, err
	}
	errs, err := linter.LintFiles(files, nil)
	if err != nil {
		return nil, err
	}
	var findings []string
	for _, e := range errs {
		findings = append(findings, fmt.Sprintf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind))
	}
	return findings, nil
}
