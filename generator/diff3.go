package generator

import (
	"bytes"
	"strings"
)

// This file is the three-way line merge of mcpforge update: a Myers line
// diff of the base against each side, and diff3 over the two diffs. It is
// written here rather than taken from a library because what it must do is
// narrow and must never surprise: whole lines, exact bytes, standard
// two-section conflict markers, nothing written beside the file.

// Conflict markers. The theirs marker is followed by the version that
// mcpforge update brings, so the owner sees where each side came from.
const (
	markerYours  = "<<<<<<< yours"
	markerSplit  = "======="
	markerTheirs = ">>>>>>> "
)

// mergeResult is a merged file.
type mergeResult struct {
	data []byte
	// conflicts is the number of regions that both sides changed
	// differently; each is in data between conflict markers.
	conflicts int
}

// merge3 merges the changes from base to ours and from base to theirs,
// line by line. Changes that do not overlap are both taken; a region both
// sides changed the same way is taken once; a region they changed
// differently becomes a conflict between markers, the theirs marker naming
// theirLabel ("mcpforge v0.2.0").
//
// Lines are compared with their line endings. A file the owner's checkout
// turned to CRLF (git's core.autocrlf) while mcpforge writes LF is merged
// as LF and given back as CRLF, so the change of line endings is not taken
// for an edit of every line.
func merge3(base, ours, theirs []byte, theirLabel string) mergeResult {
	eol := "\n"
	if isCRLF(ours) {
		eol = "\r\n"
		if !bytes.Contains(base, []byte("\r\n")) && !bytes.Contains(theirs, []byte("\r\n")) {
			r := merge3(base, toLF(ours), theirs, theirLabel)
			r.data = toCRLF(r.data)
			return r
		}
	}
	o, a, b := splitLines(base), splitLines(ours), splitLines(theirs)
	ids := lineIDs{}
	oi, ai, bi := ids.of(o), ids.of(a), ids.of(b)
	ma, mb := matchLines(oi, ai), matchLines(oi, bi)

	var out bytes.Buffer
	conflicts := 0
	io, ia, ib := 0, 0, 0
	for io < len(o) || ia < len(a) || ib < len(b) {
		// Lines unchanged on both sides.
		if io < len(o) && ma[io] == ia && mb[io] == ib {
			out.WriteString(o[io])
			io, ia, ib = io+1, ia+1, ib+1
			continue
		}
		// The unstable region runs to the next base line that both sides
		// kept, or to the end.
		no, na, nb := len(o), len(a), len(b)
		for k := io; k < len(o); k++ {
			if ma[k] >= 0 && mb[k] >= 0 {
				no, na, nb = k, ma[k], mb[k]
				break
			}
		}
		oc, ac, bc := o[io:no], a[ia:na], b[ib:nb]
		switch {
		case equalLines(ac, oc):
			writeLines(&out, bc)
		case equalLines(bc, oc), equalLines(ac, bc):
			writeLines(&out, ac)
		default:
			// Lines both sides agree on at either end of the region stay
			// outside the markers, so the conflict shows only what differs.
			pre := 0
			for pre < len(ac) && pre < len(bc) && ac[pre] == bc[pre] {
				pre++
			}
			suf := 0
			for suf < len(ac)-pre && suf < len(bc)-pre && ac[len(ac)-1-suf] == bc[len(bc)-1-suf] {
				suf++
			}
			writeLines(&out, ac[:pre])
			writeConflict(&out, ac[pre:len(ac)-suf], bc[pre:len(bc)-suf], theirLabel, eol)
			writeLines(&out, ac[len(ac)-suf:])
			conflicts++
		}
		io, ia, ib = no, na, nb
	}
	return mergeResult{data: out.Bytes(), conflicts: conflicts}
}

// wholeConflict is the conflict of a file that cannot be merged line by
// line because there is no base: all of ours against all of theirs.
func wholeConflict(ours, theirs []byte, theirLabel string) []byte {
	eol := "\n"
	if isCRLF(ours) {
		eol = "\r\n"
	}
	var out bytes.Buffer
	writeConflict(&out, splitLines(ours), splitLines(theirs), theirLabel, eol)
	return out.Bytes()
}

// writeConflict writes the two sides of a conflict between markers. A side
// whose last line has no line ending gets one, so that every marker starts
// a line.
func writeConflict(out *bytes.Buffer, ours, theirs []string, theirLabel, eol string) {
	side := func(lines []string) {
		writeLines(out, lines)
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			out.WriteString(eol)
		}
	}
	out.WriteString(markerYours + eol)
	side(ours)
	out.WriteString(markerSplit + eol)
	side(theirs)
	out.WriteString(markerTheirs + theirLabel + eol)
}

// hasConflictMarkers reports whether data holds a conflict mcpforge wrote
// and the owner has not resolved yet.
func hasConflictMarkers(data []byte) bool {
	for _, l := range splitLines(string(data)) {
		if strings.HasPrefix(l, markerTheirs+"mcpforge ") {
			return true
		}
	}
	return false
}

func writeLines(out *bytes.Buffer, lines []string) {
	for _, l := range lines {
		out.WriteString(l)
	}
}

func equalLines(x, y []string) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// splitLines splits text into lines, each keeping its "\n" (and a "\r"
// before it); the last line has none when the text does not end in one.
func splitLines[T ~string | ~[]byte](text T) []string {
	s := string(text)
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// isCRLF reports whether every line ending of data is CRLF (and it has
// one).
func isCRLF(data []byte) bool {
	n := bytes.Count(data, []byte("\n"))
	return n > 0 && bytes.Count(data, []byte("\r\n")) == n
}

func toLF(data []byte) []byte   { return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")) }
func toCRLF(data []byte) []byte { return bytes.ReplaceAll(toLF(data), []byte("\n"), []byte("\r\n")) }

// isBinary reports whether data looks binary the way git decides it: a NUL
// byte among its first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// lineIDs numbers distinct lines, so the diff compares integers.
type lineIDs map[string]int

func (ids lineIDs) of(lines []string) []int {
	out := make([]int, len(lines))
	for i, l := range lines {
		id, ok := ids[l]
		if !ok {
			id = len(ids)
			ids[l] = id
		}
		out[i] = id
	}
	return out
}

// matchLines returns, for every line of a, the index of the line of b it is
// matched with in a longest common subsequence of a and b, or -1. The
// matched indexes increase.
func matchLines(a, b []int) []int {
	m := make([]int, len(a))
	for i := range m {
		m[i] = -1
	}
	lcs(a, b, 0, 0, m)
	return m
}

// lcs records in m (indexed by a's offset aOff) the matches of a longest
// common subsequence of a and b: Myers' O(ND) algorithm in linear space,
// splitting at the point where the forward and backward searches meet (as
// diff-match-patch's bisect does).
func lcs(a, b []int, aOff, bOff int, m []int) {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		m[aOff] = bOff
		a, b, aOff, bOff = a[1:], b[1:], aOff+1, bOff+1
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		m[aOff+len(a)-1] = bOff + len(b) - 1
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) == 0 || len(b) == 0 {
		return
	}
	x, y, ok := bisect(a, b)
	if !ok {
		return // nothing in common
	}
	lcs(a[:x], b[:y], aOff, bOff, m)
	lcs(a[x:], b[y:], aOff+x, bOff+y, m)
}

// bisect finds a point (x, y) on a shortest edit path from a to b where
// the path can be split in two; ok is false when a and b have no line in
// common. a and b are non-empty and differ in their first and last lines.
func bisect(a, b []int) (x, y int, ok bool) {
	n, mm := len(a), len(b)
	maxD := (n + mm + 1) / 2
	off := maxD
	size := 2*maxD + 2
	v1, v2 := make([]int, size), make([]int, size)
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - mm
	front := delta%2 != 0
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for d := 0; d < maxD; d++ {
		for k1 := -d + k1start; k1 <= d-k1end; k1 += 2 {
			i := off + k1
			var x1 int
			if k1 == -d || k1 != d && v1[i-1] < v1[i+1] {
				x1 = v1[i+1]
			} else {
				x1 = v1[i-1] + 1
			}
			y1 := x1 - k1
			for x1 < n && y1 < mm && a[x1] == b[y1] {
				x1++
				y1++
			}
			v1[i] = x1
			switch {
			case x1 > n:
				k1end += 2
			case y1 > mm:
				k1start += 2
			case front:
				j := off + delta - k1
				if j >= 0 && j < size && v2[j] != -1 && x1 >= n-v2[j] {
					return x1, y1, true
				}
			}
		}
		for k2 := -d + k2start; k2 <= d-k2end; k2 += 2 {
			i := off + k2
			var x2 int
			if k2 == -d || k2 != d && v2[i-1] < v2[i+1] {
				x2 = v2[i+1]
			} else {
				x2 = v2[i-1] + 1
			}
			y2 := x2 - k2
			for x2 < n && y2 < mm && a[n-x2-1] == b[mm-y2-1] {
				x2++
				y2++
			}
			v2[i] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > mm:
				k2start += 2
			case !front:
				j := off + delta - k2
				if j >= 0 && j < size && v1[j] != -1 {
					x1 := v1[j]
					y1 := off + x1 - j
					if x1 >= n-x2 {
						return x1, y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}
