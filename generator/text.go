package generator

import "fmt"

// disguisingChars are the characters no answer or add spec may hold, with
// their Unicode names. Every text value ends up in generated Go source
// (comments, string literals), Markdown, YAML or TOML, and these characters
// make that text display differently from what compilers and reviewers'
// tools read ("Trojan Source", CVE-2021-42574): the bidirectional controls
// reorder what is shown, the invisible ones hide what is there. U+200D ZERO
// WIDTH JOINER is left out on purpose: emoji sequences need it and it
// reorders nothing.
var disguisingChars = map[rune]string{
	'\u061C': "ARABIC LETTER MARK",
	'\u200B': "ZERO WIDTH SPACE",
	'\u200E': "LEFT-TO-RIGHT MARK",
	'\u200F': "RIGHT-TO-LEFT MARK",
	'\u202A': "LEFT-TO-RIGHT EMBEDDING",
	'\u202B': "RIGHT-TO-LEFT EMBEDDING",
	'\u202C': "POP DIRECTIONAL FORMATTING",
	'\u202D': "LEFT-TO-RIGHT OVERRIDE",
	'\u202E': "RIGHT-TO-LEFT OVERRIDE",
	'\u2060': "WORD JOINER",
	'\u2066': "LEFT-TO-RIGHT ISOLATE",
	'\u2067': "RIGHT-TO-LEFT ISOLATE",
	'\u2068': "FIRST STRONG ISOLATE",
	'\u2069': "POP DIRECTIONAL ISOLATE",
	'\uFEFF': "ZERO WIDTH NO-BREAK SPACE",
}

// CheckText refuses text holding a bidirectional control (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069) or an invisible character (U+200B,
// U+2060, U+FEFF), which could make generated code read differently from
// how it compiles. The error names the first such character by its 1-based
// position in runes and its code point, e.g. "character 6 is U+202E
// (RIGHT-TO-LEFT OVERRIDE), ...". Every text answer and every field of an
// add spec passes through it before any other check, so that the message is
// the same whatever else is wrong with the value.
func CheckText(s string) error {
	if pos, r, ok := findDisguising(s); ok {
		return disguisingError(fmt.Sprintf("character %d", pos), r)
	}
	return nil
}

// checkTextList is CheckText for every entry of a list answer; the error
// names the entry too, 1-based.
func checkTextList(list []string) error {
	for i, s := range list {
		if pos, r, ok := findDisguising(s); ok {
			return disguisingError(fmt.Sprintf("character %d of entry %d", pos, i+1), r)
		}
	}
	return nil
}

// findDisguising returns the 1-based rune position and the first character
// of s that is in disguisingChars. Positions count runes, not bytes, since
// that is what a user counts in an editor (an invalid byte counts as one).
func findDisguising(s string) (pos int, r rune, ok bool) {
	for _, r := range s {
		pos++
		if _, bad := disguisingChars[r]; bad {
			return pos, r, true
		}
	}
	return 0, 0, false
}

func disguisingError(where string, r rune) error {
	return fmt.Errorf("%s is U+%04X (%s), an invisible or bidirectional control character that can disguise code; remove it", where, r, disguisingChars[r])
}
