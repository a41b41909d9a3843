package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// This file is the core of `mcpforge update`: given the repository, the
// render of its recorded answers by the recorded mcpforge version (the
// merge base) and by the running version (theirs), it decides per file what
// to do, without touching the disk. The rules, in the words of issue 14:
//
//   - untouched by the owner (its hash equals the record): takes the new
//     render, or is removed if the base render has it and the new one not;
//   - edited by the owner, unchanged upstream: kept;
//   - edited on both sides: three-way merge, conflicts between markers;
//   - new upstream where the owner already has a file: a conflict, never an
//     overwrite (unless both are identical);
//   - deleted upstream but edited by the owner: kept and reported; deleted
//     by the owner but changed upstream: stays deleted and reported;
//   - binary files are never merged: taken when untouched, else kept and
//     reported;
//   - go.mod and go.sum: requirements merged per module, never conflicts;
//   - the owner's own files, those `mcpforge add` wrote included: untouched.

// UpdateAction is what mcpforge update does with one file.
type UpdateAction string

// What update does with a file.
const (
	// ActionUpdate writes the new render over a file the owner did not edit.
	ActionUpdate UpdateAction = "update"
	// ActionCreate writes a file that is new upstream.
	ActionCreate UpdateAction = "create"
	// ActionRemove removes a file the owner did not edit and mcpforge no
	// longer generates.
	ActionRemove UpdateAction = "remove"
	// ActionMerge writes the clean merge of the owner's and mcpforge's
	// changes.
	ActionMerge UpdateAction = "merge"
	// ActionConflict writes the file with conflict markers around the
	// changes that overlap; the owner resolves them.
	ActionConflict UpdateAction = "conflict"
	// ActionKeep leaves the owner's file (or its absence) as it is.
	ActionKeep UpdateAction = "keep"
)

// UpdateFile is the plan for one file.
type UpdateFile struct {
	// Path is slash-separated, relative to the repository root.
	Path string
	// Action is what update does.
	Action UpdateAction
	// Data is the content written by update, create, merge and conflict.
	Data []byte
	// Mode is the permission bits to write Data with: the owner's file's,
	// when there is one.
	Mode fs.FileMode
	// Note says why, in a few words, for the report.
	Note string
	// Attention marks a file the owner should look at although it is not a
	// conflict: an edit kept where mcpforge changed or dropped the file, a
	// deletion kept where mcpforge changed it.
	Attention bool
}

// UpdateInput is what PlanUpdate works from.
type UpdateInput struct {
	// Repo is the repository, with its record.
	Repo Repo
	// Base is the render of the recorded answers by the recorded version;
	// nil when it could not be had, which makes the update two-way.
	Base *FileSet
	// BaseMissing says why Base is nil, for the report.
	BaseMissing string
	// Theirs is the render of the recorded answers by the running version.
	Theirs *FileSet
	// Version is the running version, recorded and named in conflict
	// markers.
	Version string
}

// UpdatePlan is what mcpforge update would do.
type UpdatePlan struct {
	// From and To are the recorded and the running version.
	From, To string
	// Files lists every file update writes, removes or reports, by path.
	Files []UpdateFile
	// Record is the new record file's content.
	Record []byte
	// RecordChanged is false when the record file stays as it is.
	RecordChanged bool
	// Notes are facts about the update as a whole, one sentence each.
	Notes []string
}

// Conflicts lists the paths with a conflict, sorted.
func (p *UpdatePlan) Conflicts() []string {
	var out []string
	for _, f := range p.Files {
		if f.Action == ActionConflict {
			out = append(out, f.Path)
		}
	}
	return out
}

// Changed reports whether applying the plan changes any file.
func (p *UpdatePlan) Changed() bool {
	return p.RecordChanged || slices.ContainsFunc(p.Files, func(f UpdateFile) bool { return f.Action != ActionKeep })
}

// Writes returns the files the plan writes, the record file included when
// it changes.
func (p *UpdatePlan) Writes() (*FileSet, error) {
	set := &FileSet{}
	for _, f := range p.Files {
		switch f.Action {
		case ActionUpdate, ActionCreate, ActionMerge, ActionConflict:
			if err := set.Add(f.Path, f.Data, cmp.Or(f.Mode, fileMode)); err != nil {
				return nil, err
			}
		}
	}
	if p.RecordChanged {
		if err := set.Add(RecordFile, p.Record, fileMode); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// Removals returns the paths the plan removes, sorted.
func (p *UpdatePlan) Removals() []string {
	var out []string
	for _, f := range p.Files {
		if f.Action == ActionRemove {
			out = append(out, f.Path)
		}
	}
	return out
}

// Apply carries the plan out in dir: every file written as Write writes
// (staged, and undone on failure), then the removals, with the directories
// they leave empty.
func (p *UpdatePlan) Apply(dir string) error {
	set, err := p.Writes()
	if err != nil {
		return err
	}
	if set.Len() > 0 {
		if err := Write(set, dir, WriteOptions{Force: true}); err != nil {
			return err
		}
	}
	for _, rel := range p.Removals() {
		if err := checkRelPath(rel); err != nil {
			return err
		}
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := checkInside(dir, rel); err != nil {
			return err
		}
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s, which mcpforge no longer generates: %w", rel, err)
		}
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			if os.Remove(filepath.Join(dir, filepath.FromSlash(d))) != nil {
				break // not empty: the owner's files live there
			}
		}
	}
	return nil
}

// PlanUpdate decides what mcpforge update does with every file, following
// the rules at the top of this file. It reads the repository through
// in.Repo.FS and writes nothing.
func PlanUpdate(in UpdateInput) (*UpdatePlan, error) {
	rec := in.Repo.Record
	label := "mcpforge " + in.Version
	plan := &UpdatePlan{From: rec.MCPForgeVersion, To: in.Version}
	if in.Base == nil && in.BaseMissing != "" {
		plan.Notes = append(plan.Notes, fmt.Sprintf("no merge base: %s; files you edited that mcpforge changed get a whole-file conflict", in.BaseMissing))
	}
	theirs := filesOf(in.Theirs)
	base := filesOf(in.Base)
	paths := map[string]bool{}
	for _, m := range []map[string][]byte{theirs, base} {
		for p := range m {
			paths[p] = true
		}
	}
	for p := range rec.Files {
		paths[p] = true
	}
	delete(paths, RecordFile)

	owned := map[string]bool{}
	for _, p := range rec.Owned {
		owned[p] = true
	}
	var unreproduced []string
	goModChanged := false // go.mod sorts before go.sum
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		ours, inOurs, err := readRepoFile(in.Repo.FS, p)
		if err != nil {
			return nil, err
		}
		t, inTheirs := theirs[p]
		b, inBase := base[p]
		r, inRec := rec.Files[p]
		var mode fs.FileMode
		if info, err := fs.Stat(in.Repo.FS, p); err == nil {
			mode = info.Mode().Perm() // an owner's chmod +x survives
		}
		add := func(a UpdateAction, data []byte, attention bool, format string, args ...any) {
			plan.Files = append(plan.Files, UpdateFile{Path: p, Action: a, Data: data, Mode: mode, Note: fmt.Sprintf(format, args...), Attention: attention})
		}
		isGoMod := p == "go.mod" || p == "go.sum"
		if in.Base != nil && inRec && !inBase && !isGoMod {
			// Recorded, but the recorded version does not render it: a file
			// mcpforge add wrote before the record marked such files.
			owned[p] = true
		}
		if owned[p] || !inRec && !inBase {
			// The owner's file, or one new upstream.
			switch {
			case !inTheirs:
				continue
			case !inOurs:
				add(ActionCreate, t, false, "new in %s", label)
			case bytes.Equal(ours, t):
			default:
				add(ActionConflict, wholeConflict(ours, t, label), false, "new in %s, but you have a file there: yours and mcpforge's are both in it", label)
			}
			delete(owned, p) // mcpforge generates it from now on
			continue
		}
		if inBase && inRec && hashOf(b) != r && !isGoMod {
			unreproduced = append(unreproduced, p)
		}
		// Line endings are a checkout's business only in text files.
		binary := isBinary(ours) || isBinary(t) || isBinary(b)
		norm := toLF
		if binary {
			norm = func(data []byte) []byte { return data }
		}
		untouched := inOurs && (inRec && (hashOf(ours) == r || !binary && SameRecordedHash(ours, r)) || inBase && bytes.Equal(norm(ours), norm(b)))
		changedUpstream := !inTheirs || (inBase && !bytes.Equal(b, t)) || (!inBase && (!inRec || hashOf(t) != r))
		switch {
		case !inOurs:
			if inTheirs && changedUpstream {
				add(ActionKeep, nil, true, "deleted by you and changed in %s; stays deleted", label)
			}
		case p == "go.mod" && inTheirs:
			var baseMod []byte
			if inBase {
				baseMod = b
			}
			merged, err := mergeGoMod(baseMod, ours, t)
			switch {
			case err != nil:
				add(ActionKeep, nil, true, "%v", err)
			case !bytes.Equal(merged, ours):
				goModChanged = true
				add(ActionMerge, merged, false, "requirements merged per module, the higher version winning; go mod tidy follows")
			}
		case p == "go.sum" && inTheirs:
			// Only the requirements go.mod gains need more sums; tidy
			// prunes the rest.
			if merged := mergeGoSum(ours, t); goModChanged && !bytes.Equal(merged, ours) {
				add(ActionMerge, merged, false, "the sums of both kept; go mod tidy follows")
			}
		case untouched && !inTheirs:
			switch {
			case inBase:
				add(ActionRemove, nil, false, "no longer generated by %s", label)
			default:
				// Without a base there is no telling a file mcpforge add
				// wrote before the record marked such files from one that
				// mcpforge dropped; either way it is safest as the owner's.
				owned[p] = true
				add(ActionKeep, nil, true, "not generated by %s; kept as your own file", label)
			}
		case untouched:
			if !binary && isCRLF(ours) && !bytes.Contains(t, []byte("\r\n")) {
				t = toCRLF(t) // keep the owner's checkout's line endings
			}
			if !bytes.Equal(ours, t) {
				add(ActionUpdate, t, false, "unchanged by you")
			}
		case !inTheirs:
			if inBase {
				add(ActionKeep, nil, true, "edited by you and no longer generated by %s; kept as your own file", label)
			} else {
				owned[p] = true
			}
		case bytes.Equal(ours, t):
			// Both sides made the same change.
		case !changedUpstream:
			add(ActionKeep, nil, false, "your edit; unchanged upstream")
		case binary:
			add(ActionKeep, nil, true, "binary, edited by you and changed in %s; kept yours (binary files are never merged)", label)
		case !inBase:
			add(ActionConflict, wholeConflict(ours, t, label), false, "edited by you and changed in %s; no base to merge against, so the whole file is in conflict", label)
		default:
			m := merge3(b, ours, t, label)
			if m.conflicts > 0 {
				add(ActionConflict, m.data, false, "edited on both sides; %d conflicting region%s marked", m.conflicts, plural(m.conflicts))
			} else {
				add(ActionMerge, m.data, false, "your edit and %s's merged", label)
			}
		}
	}
	if len(unreproduced) > 0 {
		plan.Notes = append(plan.Notes, fmt.Sprintf("the render of mcpforge %s does not reproduce the recorded hash of %s (a different Go version's gofmt, say); not an edit of yours: where your copy matches the record it counts as untouched",
			rec.MCPForgeVersion, strings.Join(unreproduced, ", ")))
	}

	next := Record{Answers: rec.Answers, MCPForgeVersion: in.Version, Files: map[string]string{}}
	for p, data := range theirs {
		next.Files[p] = hashOf(data)
	}
	delete(next.Files, RecordFile)
	for _, p := range []string{"go.mod", "go.sum"} {
		// Recorded after go mod tidy (by new, or by update once it has
		// tidied): what the render says is beside the point for a file
		// merged per module, and keeping the hash keeps a second update
		// from changing the record.
		if h, ok := rec.Files[p]; ok && next.Files[p] != "" {
			next.Files[p] = h
		}
	}
	for p := range owned {
		if _, generated := theirs[p]; generated {
			continue
		}
		next.Owned = append(next.Owned, p)
		if h, ok := rec.Files[p]; ok {
			next.Files[p] = h
		}
	}
	slices.Sort(next.Owned)
	plan.Record = next.Encode()
	current, _, err := readRepoFile(in.Repo.FS, RecordFile)
	if err != nil {
		return nil, err
	}
	plan.RecordChanged = !bytes.Equal(current, plan.Record)
	return plan, nil
}

// filesOf maps the paths of a file set to their contents; nil gives an
// empty map.
func filesOf(set *FileSet) map[string][]byte {
	m := map[string][]byte{}
	if set != nil {
		for _, f := range set.files {
			m[f.Path] = f.Data
		}
	}
	return m
}

// readRepoFile reads one file of the repository; a missing file is not an
// error.
func readRepoFile(fsys fs.FS, p string) ([]byte, bool, error) {
	data, err := fs.ReadFile(fsys, p)
	switch {
	case err == nil:
		return data, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
}

// SameRecordedHash reports whether data is the file whose recorded hash is
// recorded: byte for byte, or once the CRLF line endings a Windows checkout
// gives it are undone.
func SameRecordedHash(data []byte, recorded string) bool {
	return hashOf(data) == recorded || isCRLF(data) && hashOf(toLF(data)) == recorded
}

// UnresolvedConflicts lists the generated files of the repository that
// still hold a conflict an earlier update marked: updating again would nest
// markers in markers.
func UnresolvedConflicts(repo Repo) ([]string, error) {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(repo.Record.Files)) {
		if repo.Record.IsOwned(p) {
			continue
		}
		data, ok, err := readRepoFile(repo.FS, p)
		if err != nil {
			return nil, err
		}
		if ok && hasConflictMarkers(data) {
			out = append(out, p)
		}
	}
	return out, nil
}
