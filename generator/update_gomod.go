package generator

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// mergeGoMod merges the requirements of the new render's go.mod (theirs)
// into the owner's (ours), module by module: a module both require gets the
// higher version; a module only theirs requires is added, as theirs marks
// it, when theirs requires it directly or mcpforge added or raised it since
// the base (nil without one); everything else of ours (its module path,
// replace and exclude directives, comments, the owner's own requirements)
// stays. The go line takes the higher version. Ours was tidied, so an
// indirect requirement it lacks is one its code does not need; `go mod
// tidy` afterwards drops whatever else the code does not need, so the merge
// never conflicts.
func mergeGoMod(base, ours, theirs []byte) ([]byte, error) {
	of, err := modfile.Parse("go.mod", ours, nil)
	if err != nil {
		return nil, fmt.Errorf("your go.mod does not parse, so mcpforge cannot merge its requirements; fix it and run mcpforge update again: %w", err)
	}
	tf, err := modfile.Parse("go.mod", theirs, nil)
	if err != nil {
		return nil, fmt.Errorf("the go.mod mcpforge renders does not parse (a bug; please report it): %w", err)
	}
	had := map[string]string{}
	if base != nil {
		if bf, err := modfile.Parse("go.mod", base, nil); err == nil {
			for _, r := range bf.Require {
				had[r.Mod.Path] = r.Mod.Version
			}
		}
	}
	have := map[string]string{}
	for _, r := range of.Require {
		have[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range tf.Require {
		v, ok := have[r.Mod.Path]
		before, wasThere := had[r.Mod.Path]
		newUpstream := base != nil && (!wasThere || semver.Compare(r.Mod.Version, before) > 0)
		switch {
		case !ok && (!r.Indirect || newUpstream):
			of.AddNewRequire(r.Mod.Path, r.Mod.Version, r.Indirect)
		case ok && semver.Compare(r.Mod.Version, v) > 0:
			if err := of.AddRequire(r.Mod.Path, r.Mod.Version); err != nil {
				return nil, err
			}
		}
	}
	if tf.Go != nil && (of.Go == nil || semver.Compare("v"+tf.Go.Version, "v"+of.Go.Version) > 0) {
		if err := of.AddGoStmt(tf.Go.Version); err != nil {
			return nil, err
		}
	}
	of.Cleanup()
	return of.Format()
}

// mergeGoSum returns every line of ours and theirs once, sorted: the sums
// the merged go.mod may need, which `go mod tidy` then prunes. A checksum
// never conflicts: go verifies each against the checksum database.
func mergeGoSum(ours, theirs []byte) []byte {
	var lines []string
	for _, data := range [][]byte{ours, theirs} {
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}
