package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Errors of Write and CheckTarget that the user fixes by choosing another
// target or passing --force; match them with errors.Is.
var (
	// ErrTargetNotEmpty: the target directory exists and has entries.
	ErrTargetNotEmpty = errors.New("target directory is not empty")
	// ErrTargetNotDir: the target exists and is not a directory.
	ErrTargetNotDir = errors.New("target is not a directory")
	// ErrEscapesTarget: writing a file would leave the target through a
	// symbolic link inside it, or would replace a directory with a file.
	ErrEscapesTarget = errors.New("path escapes the target directory")
)

// targetError carries a message for the user and a sentinel for errors.Is.
type targetError struct {
	msg  string
	kind error
}

func (e *targetError) Error() string { return e.msg }
func (e *targetError) Unwrap() error { return e.kind }

// WriteOptions adjust Write.
type WriteOptions struct {
	// Force allows a non-empty target. Write then replaces the files it
	// generates and leaves every other file alone.
	Force bool
}

// testHookBeforePlace, when set by tests, runs before each file is put in
// place (or staged, for a new target) and can inject a failure.
var testHookBeforePlace func(rel string) error

// CheckTarget runs every check Write runs before it writes anything: paths
// safe, target a directory, empty unless opts.Force, no symbolic link inside
// it leading outside, no directory where a file goes. A dry run uses it to
// report what Write would refuse.
func CheckTarget(set *FileSet, target string, opts WriteOptions) error {
	_, err := preflight(set, target, opts)
	return err
}

// targetState is what preflight learned about the target.
type targetState struct {
	abs    string // absolute target path, symbolic links resolved if it exists
	exists bool
}

func preflight(set *FileSet, target string, opts WriteOptions) (targetState, error) {
	for _, f := range set.files {
		if err := checkRelPath(f.Path); err != nil {
			return targetState{}, err
		}
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return targetState{}, err
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(abs); lerr == nil {
			return targetState{}, &targetError{fmt.Sprintf("target %q is a symbolic link to nothing; remove it or choose another --dir", target), ErrTargetNotDir}
		}
		return targetState{abs: abs}, nil
	case err != nil:
		return targetState{}, err
	case !info.IsDir():
		return targetState{}, &targetError{fmt.Sprintf("target %q exists and is not a directory; choose another --dir", target), ErrTargetNotDir}
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return targetState{}, err
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return targetState{}, err
	}
	if len(entries) > 0 && !opts.Force {
		return targetState{}, &targetError{fmt.Sprintf("target directory %q is not empty; choose another --dir or pass --force", target), ErrTargetNotEmpty}
	}
	for _, f := range set.files {
		if err := checkInside(abs, f.Path); err != nil {
			return targetState{}, err
		}
	}
	return targetState{abs: abs, exists: true}, nil
}

// checkInside walks the existing part of rel below root and refuses a
// symbolic link that leads outside root, a file where a directory is needed,
// and a directory where the file goes.
func checkInside(root, rel string) error {
	segs := strings.Split(rel, "/")
	cur := root
	for i, s := range segs {
		cur = filepath.Join(cur, s)
		info, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing below exists; Write creates it
		}
		if err != nil {
			return err
		}
		last := i == len(segs)-1
		if info.Mode()&fs.ModeSymlink != 0 {
			if last {
				return nil // a rename replaces the link itself, never its target
			}
			real, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return &targetError{fmt.Sprintf("cannot write %s: %s is a broken symbolic link", rel, cur), ErrEscapesTarget}
			}
			if !within(root, real) {
				return &targetError{fmt.Sprintf("refusing to write %s: %s is a symbolic link leading outside the target", rel, cur), ErrEscapesTarget}
			}
			info, err = os.Stat(real)
			if err != nil {
				return err
			}
			cur = real
		}
		switch {
		case last && info.IsDir():
			return &targetError{fmt.Sprintf("cannot write %s: a directory of that name exists in the target", rel), ErrEscapesTarget}
		case !last && !info.IsDir():
			return &targetError{fmt.Sprintf("cannot write %s: %s is a file, not a directory", rel, cur), ErrEscapesTarget}
		}
	}
	return nil
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// Write puts the file set into target, atomically as far as the file system
// allows:
//
//   - A target that does not exist is built in a temporary directory beside
//     it (same parent, so the final rename stays on one file system) and
//     renamed into place: a failure or an interruption leaves no target.
//   - An existing target must be empty unless opts.Force. Every file is first
//     staged in a temporary directory beside the target, then moved in one by
//     one; a file being replaced is kept aside until the end, so a failure
//     puts every replaced file back and removes every file and directory
//     Write created. Files Write does not generate are never touched.
//
// Write refuses paths that are absolute or contain "..", and symbolic links
// in the target that lead outside it. Errors for a non-empty or unusable
// target match ErrTargetNotEmpty, ErrTargetNotDir or ErrEscapesTarget.
func Write(set *FileSet, target string, opts WriteOptions) error {
	st, err := preflight(set, target, opts)
	if err != nil {
		return err
	}
	if st.exists {
		return writeInto(set, st.abs)
	}
	return writeNew(set, st.abs)
}

// writeNew builds the whole tree beside the target and renames it in.
func writeNew(set *FileSet, abs string) (err error) {
	parent := filepath.Dir(abs)
	created, err := mkdirAllTracked(parent)
	if err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".mcpforge-*")
	if err != nil {
		removeCreated(created)
		return fmt.Errorf("create a temporary directory beside the target: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			removeCreated(created)
		}
	}()
	for _, f := range set.files {
		if testHookBeforePlace != nil {
			if err := testHookBeforePlace(f.Path); err != nil {
				return err
			}
		}
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(f.Path)), f.Data, f.Mode); err != nil {
			return err
		}
	}
	// MkdirTemp made the directory private (0700); give it a directory's
	// usual mode before it becomes the repository.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		return fmt.Errorf("move the new repository into place: %w", err)
	}
	return nil
}

// placed is one step of writeInto, kept to undo it.
type placed struct {
	dst    string // path in the target
	backup string // where the file it replaced waits, "" if none
}

// writeInto stages every file, then moves them into an existing target,
// undoing everything on failure.
func writeInto(set *FileSet, abs string) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".mcpforge-*")
	if err != nil {
		// The parent may be read-only (a home directory under /home) or the
		// target a mount point; staging inside the target then works, and the
		// staging directory is Write's own, removed at the end.
		var err2 error
		if tmp, err2 = os.MkdirTemp(abs, ".mcpforge-stage-*"); err2 != nil {
			return fmt.Errorf("create a temporary directory beside the target: %w", err)
		}
	}
	stage := filepath.Join(tmp, "stage")
	backups := filepath.Join(tmp, "replaced")
	for _, f := range set.files {
		if err := writeFile(filepath.Join(stage, filepath.FromSlash(f.Path)), f.Data, f.Mode); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	var done []placed
	var createdDirs []string
	defer func() {
		if err != nil {
			// Undo in reverse: take out what was placed, put back what was
			// replaced, remove the directories made for it.
			for i := len(done) - 1; i >= 0; i-- {
				os.Remove(done[i].dst)
				if done[i].backup != "" {
					os.Rename(done[i].backup, done[i].dst)
				}
			}
			removeCreated(createdDirs)
		}
		os.RemoveAll(tmp)
	}()
	for _, f := range set.files {
		rel := filepath.FromSlash(f.Path)
		dst := filepath.Join(abs, rel)
		if testHookBeforePlace != nil {
			if err := testHookBeforePlace(f.Path); err != nil {
				return err
			}
		}
		dirs, err := mkdirAllTracked(filepath.Dir(dst))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			return fmt.Errorf("create the directory of %s: %w", f.Path, err)
		}
		p := placed{dst: dst}
		if _, err := os.Lstat(dst); err == nil {
			p.backup = filepath.Join(backups, rel)
			if err := os.MkdirAll(filepath.Dir(p.backup), 0o755); err != nil {
				return err
			}
			if err := os.Rename(dst, p.backup); err != nil {
				return fmt.Errorf("set aside the old %s: %w", f.Path, err)
			}
		}
		if err := os.Rename(filepath.Join(stage, rel), dst); err != nil {
			if p.backup != "" {
				os.Rename(p.backup, dst)
			}
			return fmt.Errorf("move %s into place: %w", f.Path, err)
		}
		done = append(done, p)
	}
	return nil
}

// writeFile writes one file, creating its directories.
func writeFile(p string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, mode)
}

// mkdirAllTracked is os.MkdirAll that returns the directories it created,
// outermost first, so that a failure can remove exactly those.
func mkdirAllTracked(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// removeCreated removes directories created by mkdirAllTracked, innermost
// first, and only while they are empty.
func removeCreated(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
}

// writeFileAtomic replaces one file through a temporary file and a rename,
// so a reader sees the old or the new content, never a part.
func writeFileAtomic(p string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, mode)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
