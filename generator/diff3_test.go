package generator

import (
	"math/rand"
	"strings"
	"testing"
)

// TestMatchLinesIsLongest checks the Myers diff against the textbook
// dynamic program on random sequences over small alphabets, where repeated
// lines make wrong matches likely.
func TestMatchLinesIsLongest(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 3000 {
		a, b := make([]int, r.Intn(40)), make([]int, r.Intn(40))
		k := 1 + r.Intn(4)
		for i := range a {
			a[i] = r.Intn(k)
		}
		for i := range b {
			b[i] = r.Intn(k)
		}
		m := matchLines(a, b)
		n, last := 0, -1
		for i, j := range m {
			if j < 0 {
				continue
			}
			if j <= last || a[i] != b[j] {
				t.Fatalf("matchLines(%v, %v) = %v: not an increasing matching of equal lines", a, b, m)
			}
			last, n = j, n+1
		}
		dp := make([][]int, len(a)+1)
		for i := range dp {
			dp[i] = make([]int, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					dp[i][j] = dp[i+1][j+1] + 1
				} else {
					dp[i][j] = max(dp[i+1][j], dp[i][j+1])
				}
			}
		}
		if dp[0][0] != n {
			t.Fatalf("matchLines(%v, %v) matches %d lines, the longest common subsequence has %d", a, b, n, dp[0][0])
		}
	}
}

func TestMerge3(t *testing.T) {
	const label = "mcpforge v2"
	conflict := func(ours, theirs string) string {
		return "<<<<<<< yours\n" + ours + "=======\n" + theirs + ">>>>>>> mcpforge v2\n"
	}
	for _, c := range []struct {
		name, base, ours, theirs, want string
		conflicts                      int
	}{
		{"apart", "a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n", 0},
		{"only ours", "a\nb\n", "a\nB\n", "a\nb\n", "a\nB\n", 0},
		{"only theirs", "a\nb\n", "a\nb\n", "a\nB\nc\n", "a\nB\nc\n", 0},
		{"same change", "a\nb\nc\n", "a\nX\nc\n", "a\nX\nc\n", "a\nX\nc\n", 0},
		{"overlap", "a\nb\nc\n", "a\nmine\nc\n", "a\ntheirs\nc\n", "a\n" + conflict("mine\n", "theirs\n") + "c\n", 1},
		{"common ends outside markers", "a\nb\n", "a\nx\nmine\ny\n", "a\nx\ntheirs\ny\n", "a\nx\n" + conflict("mine\n", "theirs\n") + "y\n", 1},
		{"both insert at end", "a\n", "a\nmine\n", "a\ntheirs\n", "a\n" + conflict("mine\n", "theirs\n"), 1},
		{"deleted by ours, changed by theirs", "a\nb\nc\n", "a\nc\n", "a\nB\nc\n", "a\n" + conflict("", "B\n") + "c\n", 1},
		{"deleted on both sides", "a\nb\nc\n", "a\nc\n", "a\nc\n", "a\nc\n", 0},
		{"everything deleted by theirs", "a\nb\n", "a\nb\n", "", "", 0},
		{"no final newline, apart", "a\nb\nc", "A\nb\nc", "a\nb\nc\n", "A\nb\nc\n", 0},
		{"no final newline, overlap", "a\nb", "a\nc", "a\nd", "a\n" + conflict("c\n", "d\n"), 1},
		{"crlf throughout", "a\r\nb\r\nc\r\n", "A\r\nb\r\nc\r\n", "a\r\nb\r\nC\r\n", "A\r\nb\r\nC\r\n", 0},
		{"crlf overlap", "a\r\nb\r\n", "a\r\nx\r\n", "a\r\ny\r\n", "a\r\n<<<<<<< yours\r\nx\r\n=======\r\ny\r\n>>>>>>> mcpforge v2\r\n", 1},
		{"crlf checkout of lf files", "a\nb\nc\n", "A\r\nb\r\nc\r\n", "a\nb\nC\n", "A\r\nb\r\nC\r\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := merge3([]byte(c.base), []byte(c.ours), []byte(c.theirs), label)
			if string(got.data) != c.want || got.conflicts != c.conflicts {
				t.Errorf("merge3 = %d conflicts\n%q\nwant %d\n%q", got.conflicts, got.data, c.conflicts, c.want)
			}
			if hasConflictMarkers(got.data) != (c.conflicts > 0) {
				t.Errorf("hasConflictMarkers = %v with %d conflicts", !(c.conflicts > 0), c.conflicts)
			}
		})
	}
}

func TestWholeConflict(t *testing.T) {
	got := string(wholeConflict([]byte("mine"), []byte("theirs\n"), "mcpforge v2"))
	want := "<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> mcpforge v2\n"
	if got != want {
		t.Errorf("wholeConflict = %q, want %q", got, want)
	}
	if !isBinary([]byte("PNG\x00\x01")) || isBinary([]byte(strings.Repeat("text ", 10))) {
		t.Error("isBinary misjudges")
	}
}
