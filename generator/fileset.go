package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// ErrUnsafePath is matched (errors.Is) by the error for a file path that
// could land outside the target directory: absolute, with ".." or "."
// segments, with a backslash or a Windows volume name.
var ErrUnsafePath = errors.New("unsafe path")

// File is one file of a FileSet.
type File struct {
	// Path is slash-separated and relative to the repository root.
	Path string
	// Data is the file's content.
	Data []byte
	// Mode holds the permission bits, 0o644 for every file today.
	Mode fs.FileMode
}

// FileSet is a whole repository in memory, its files kept sorted by path.
type FileSet struct {
	files []File
}

// PlanEntry is one line of a dry run: a path and its size.
type PlanEntry struct {
	Path string
	Size int
}

// Add adds a file. It refuses an unsafe path (see ErrUnsafePath), a path
// added before, and a path that is a file and a directory at once.
func (s *FileSet) Add(p string, data []byte, mode fs.FileMode) error {
	if err := checkRelPath(p); err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(s.files, p, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if found {
		return fmt.Errorf("%s is generated twice", p)
	}
	for _, f := range s.files {
		if strings.HasPrefix(f.Path, p+"/") || strings.HasPrefix(p, f.Path+"/") {
			return fmt.Errorf("%s and %s cannot both be generated: one would be a directory", f.Path, p)
		}
	}
	s.files = slices.Insert(s.files, i, File{Path: p, Data: data, Mode: mode.Perm()})
	return nil
}

// Files returns the files sorted by path. The slice is a copy; the file
// contents are shared and must not be modified.
func (s *FileSet) Files() []File { return slices.Clone(s.files) }

// Paths returns every path, sorted.
func (s *FileSet) Paths() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.Path
	}
	return out
}

// Len returns the number of files.
func (s *FileSet) Len() int { return len(s.files) }

// Get returns the file at path p.
func (s *FileSet) Get(p string) (File, bool) {
	i, found := slices.BinarySearchFunc(s.files, p, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if !found {
		return File{}, false
	}
	return s.files[i], true
}

// Plan lists every path with its size in bytes, sorted by path, for a dry
// run.
func (s *FileSet) Plan() []PlanEntry {
	out := make([]PlanEntry, len(s.files))
	for i, f := range s.files {
		out[i] = PlanEntry{Path: f.Path, Size: len(f.Data)}
	}
	return out
}

// Size returns the total size of all files in bytes.
func (s *FileSet) Size() int {
	n := 0
	for _, f := range s.files {
		n += len(f.Data)
	}
	return n
}

// checkRelPath accepts only clean, relative, slash-separated paths that stay
// inside whatever directory they are joined to, on every operating system.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty path", ErrUnsafePath)
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "":
		return fmt.Errorf("%w: %q is absolute", ErrUnsafePath, p)
	case strings.Contains(p, `\`):
		return fmt.Errorf("%w: %q contains a backslash", ErrUnsafePath, p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		return fmt.Errorf("%w: %q contains a \"..\" element", ErrUnsafePath, p)
	case !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("%w: %q is not a clean relative path", ErrUnsafePath, p)
	}
	return nil
}
