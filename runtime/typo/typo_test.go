package typo

import (
	"testing"
	"unicode/utf8"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "name", 4},
		{"name", "name", 0},
		{"nmae", "name", 2},      // a transposition is two edits
		{"nam", "name", 1},       // one insertion
		{"names", "name", 1},     // one deletion
		{"nbme", "name", 1},      // one substitution
		{"kitten", "sitting", 3}, // the textbook case
		{"città", "citta", 1},    // runes, not bytes: à is one edit
		{"日本", "日本語", 1},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (it is symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"name", "module", "transports", "auth"}
	for _, c := range []struct {
		word  string
		max   int
		want  string
		found bool
	}{
		{"nmae", 2, "name", true},
		{"modul", 2, "module", true},
		{"transport", 2, "transports", true},
		{"oauth", 2, "auth", true},
		{"zzzzzz", 2, "", false},
		{"nmae", 1, "", false}, // two edits away, one allowed
		{"auth", 0, "auth", true},
	} {
		got, found := Closest(c.word, keys, c.max)
		if found != c.found || (found && got != c.want) {
			t.Errorf("Closest(%q, %d) = %q, %v; want %q, %v", c.word, c.max, got, found, c.want, c.found)
		}
	}
	// Of equally near candidates, the first wins.
	if got, _ := Closest("ab", []string{"ax", "xb"}, 2); got != "ax" {
		t.Errorf("Closest among equals = %q, want the first, %q", got, "ax")
	}
	if _, found := Closest("x", nil, 2); found {
		t.Error("Closest found a word among none")
	}
}

// FuzzDistance checks the properties of a distance on any pair: zero
// exactly for equal strings, symmetric, at most the longer length, at
// least the difference of the lengths.
func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Add("", "x")
	f.Add("città", "citta")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 64 || len(b) > 64 {
			return
		}
		d := Distance(a, b)
		la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
		// Invalid bytes read as U+FFFD, as a range over the string does.
		if (d == 0) != (string([]rune(a)) == string([]rune(b))) {
			t.Errorf("Distance(%q, %q) = %d", a, b, d)
		}
		if d != Distance(b, a) {
			t.Errorf("Distance(%q, %q) = %d, but %d the other way", a, b, d, Distance(b, a))
		}
		if d > max(la, lb) || d < max(la-lb, lb-la) {
			t.Errorf("Distance(%q, %q) = %d, outside [%d, %d]", a, b, d, max(la-lb, lb-la), max(la, lb))
		}
	})
}
