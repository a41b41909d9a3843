package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/mcpforge/mcpforge/generator"
)

// diffOptions are the flags of `mcpforge diff`.
type diffOptions struct {
	dir      string
	upstream bool
}

func newDiffCmd() *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show your edits to the generated files, and what this mcpforge would change",
		Long: `Show what you changed in the generated files since mcpforge wrote them: a
unified diff of the recorded render (the recorded answers rendered by the
recorded mcpforge version, fetched with go run through the Go module proxy)
against your working tree. Files you added, and those mcpforge add wrote,
are yours and not shown.

--upstream also shows what this mcpforge version changes in the generated
files: the recorded render against this version's render, which is what
mcpforge update brings.

Without the recorded version (a development build, no proxy), it lists the
files whose content differs from the recorded hash and says why it cannot
show more.

Exit status: 0, whether or not there are differences; 1 on failure; 2
outside a generated repository.`,
		Example: `  mcpforge diff
  mcpforge diff --upstream | less`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.upstream, "upstream", false, "also show what this mcpforge version would change")
	f.StringVar(&o.dir, "dir", "", "look for the repository from `directory` instead of the current one")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *diffOptions) run(cmd *cobra.Command) error {
	stdout := cmd.OutOrStdout()
	repo, err := openRepo(o.dir, "diff")
	if err != nil {
		return err
	}
	version := currentBuild().version
	base, theirs, why, notes, err := repo.renders(cmd.Context(), version)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	if err := printOwnerEdits(stdout, repo, base, why); err != nil {
		return failure(err)
	}
	if o.upstream {
		if err := printUpstream(stdout, repo, base, theirs, version, why); err != nil {
			return failure(err)
		}
	}
	return nil
}

// printOwnerEdits prints the owner's edits of every recorded file that is
// not the owner's own: a diff against the base render, or only the path
// when there is no base.
func printOwnerEdits(w io.Writer, repo *generatedRepo, base *generator.FileSet, why string) error {
	rec := repo.record
	var edited []string
	for _, p := range slices.Sorted(maps.Keys(rec.Files)) {
		if rec.IsOwned(p) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(repo.root, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			data = nil
		case err != nil:
			return err
		case generator.SameRecordedHash(data, rec.Files[p]):
			continue
		}
		edited = append(edited, p)
		if base == nil {
			continue
		}
		f, ok := base.Get(p)
		if !ok {
			continue // recorded, not rendered: written by mcpforge add
		}
		if p == "go.mod" || p == "go.sum" {
			// Recorded after go mod tidy, which the base render skips: a
			// diff would mostly show tidy's work.
			fmt.Fprintf(w, "%s: changed since go mod tidy last recorded it (mcpforge update merges it per module)\n", p)
			continue
		}
		newName := "b/" + p
		if data == nil {
			newName = "/dev/null"
		}
		if err := writeUnified(w, "a/"+p, f.Data, newName, data); err != nil {
			return err
		}
	}
	if base == nil {
		fmt.Fprintf(w, "cannot show your edits as a diff: %s\n", why)
		if len(edited) == 0 {
			fmt.Fprintln(w, "every generated file matches its recorded hash")
		} else {
			fmt.Fprintf(w, "these generated files differ from their recorded hash:\n")
			for _, p := range edited {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}
	}
	return nil
}

// printUpstream prints what the running version changes against the
// recorded render, or, without a base, the files whose new render differs
// from the recorded hash.
func printUpstream(w io.Writer, repo *generatedRepo, base, theirs *generator.FileSet, version, why string) error {
	rec := repo.record
	fmt.Fprintf(w, "# what mcpforge %s changes against the recorded render (mcpforge %s)\n", version, rec.MCPForgeVersion)
	paths := map[string]bool{}
	for _, s := range []*generator.FileSet{base, theirs} {
		if s != nil {
			for _, p := range s.Paths() {
				paths[p] = true
			}
		}
	}
	if base == nil {
		for p := range rec.Files {
			if !rec.IsOwned(p) {
				paths[p] = true
			}
		}
	}
	delete(paths, generator.RecordFile)
	var changed []string
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		t, inTheirs := theirs.Get(p)
		if base == nil {
			h, inRec := rec.Files[p]
			if !inTheirs || !inRec || !generator.SameRecordedHash(t.Data, h) {
				changed = append(changed, p)
			}
			continue
		}
		b, inBase := base.Get(p)
		oldName, newName := "a/"+p, "b/"+p
		if !inBase {
			oldName = "/dev/null"
		}
		if !inTheirs {
			newName = "/dev/null"
		}
		if err := writeUnified(w, oldName, b.Data, newName, t.Data); err != nil {
			return err
		}
	}
	if base == nil {
		fmt.Fprintf(w, "cannot show the changes as a diff: %s\n", why)
		fmt.Fprintln(w, "these files would change (new, removed, or rendered differently from the recorded hash):")
		for _, p := range changed {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return nil
}
