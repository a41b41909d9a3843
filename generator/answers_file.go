package generator

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mcpforge/mcpforge/runtime/typo"
)

// AnswersFileError is a problem with an answers file: unreadable, not TOML,
// an unknown key, or a value of the wrong type. Its message starts with
// "file:line:" when the line is known, as compilers do, so editors can jump
// to it.
type AnswersFileError struct {
	// Path is the file as the user named it.
	Path string
	// Line is the 1-based line of the problem, 0 when unknown.
	Line int
	// Key is the key at fault, if any (e.g. "transports", "nmae").
	Key string
	// Err is what is wrong.
	Err error
}

// Error formats the problem as "path:line: message".
func (e *AnswersFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying problem.
func (e *AnswersFileError) Unwrap() error { return e.Err }

// LoadAnswers reads an answers file: TOML with the keys of [Fields] at the top
// level. It is strict: a syntax error, an unknown key or a value of the wrong
// type is an *AnswersFileError naming the line. A [record] table, as written
// into every generated repository's .mcpforge.toml, is accepted, so `mcpforge
// new --answers .mcpforge.toml` reproduces a repository: its contents are
// ignored, but it makes the file a record, where a key an older mcpforge did
// not write reads as what that version generated (observability false), not
// as the default for new repositories.
//
// Every key present in the file counts as given (see [Answers.Given]), even
// with an empty value.
func LoadAnswers(path string) (Answers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Answers{}, &AnswersFileError{Path: path, Err: fmt.Errorf("cannot read answers file: %w", unwrapPathErr(err))}
	}
	a, _, err := parseAnswers(path, data)
	return a, err
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseAnswers decodes the answers and returns the raw [record] table too.
func parseAnswers(path string, data []byte) (Answers, map[string]any, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Answers{}, nil, &AnswersFileError{Path: path, Line: pe.Position.Line, Err: errors.New(lowerMessage(pe.Message))}
		}
		return Answers{}, nil, &AnswersFileError{Path: path, Err: err}
	}
	var a Answers
	var record map[string]any
	// Keys in file order, so that the first problem reported is the first in
	// the file.
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	lines := keyLines(string(data))
	slices.SortFunc(keys, func(x, y string) int { return lineOf(lines, x) - lineOf(lines, y) })
	for _, k := range keys {
		v := raw[k]
		fail := func(err error) (Answers, map[string]any, error) {
			return Answers{}, nil, &AnswersFileError{Path: path, Line: lines[k], Key: k, Err: err}
		}
		if k == recordTable {
			t, ok := v.(map[string]any)
			if !ok {
				return fail(fmt.Errorf("%q must be a table, not %s", k, tomlTypeName(v)))
			}
			record = t
			continue
		}
		i := fieldIndex(k)
		if i < 0 {
			return fail(unknownKeyError(k))
		}
		if err := a.setField(i, v); err != nil {
			return fail(err)
		}
	}
	if record != nil {
		a.fillAbsent()
	}
	return a, record, nil
}

// fillAbsent gives every answer that applies, is not given and has an
// absent value (see fieldDef) that value, marked given: answers read from
// a record that predates them.
func (a *Answers) fillAbsent() {
	for i, d := range fieldDefs {
		if d.absent == nil || a.Given(d.Key) || !a.Applies(d.Key) {
			continue
		}
		// The table's own value, of the answer's type (checked by
		// TestFieldDefsAreConsistent), needs no decoding.
		d.set(a, d.absent)
		a.given |= 1 << i
	}
}

// lowerMessage puts a parser message in the style of Go errors: lower-case
// first letter (unless it starts an acronym) and no trailing period.
func lowerMessage(msg string) string {
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ".")
	if len(msg) > 1 && msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z') {
		msg = string(msg[0]+'a'-'A') + msg[1:]
	}
	return msg
}

func unknownKeyError(k string) error {
	known := make([]string, len(fieldDefs))
	for i, d := range fieldDefs {
		known[i] = d.Key
	}
	if best, ok := typo.Closest(k, known, 2); ok {
		return fmt.Errorf("unknown key %q; did you mean %q?", k, best)
	}
	return fmt.Errorf("unknown key %q; known keys are %s", k, strings.Join(known, ", "))
}

func decodeStrings(dst *[]string, v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf(`must be an array of strings such as ["a", "b"], not %s`, tomlTypeName(v))
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return fmt.Errorf("must be an array of strings, but holds %s", tomlTypeName(e))
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

// tomlTypeName names the TOML type of a decoded value for error messages.
func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date or time"
	}
}

// keyLines maps each top-level key and table name of a TOML document to the
// line it first appears on. BurntSushi/toml keeps key positions private, so
// this small scanner finds them: it understands table headers, bare and
// quoted keys and dotted keys, and skips multi-line strings well enough for
// answers files (a key it cannot place simply gets no line).
func keyLines(doc string) map[string]int {
	lines := map[string]int{}
	inTable := false
	var multi string // closing delimiter of an open multi-line string
	for i, line := range strings.Split(doc, "\n") {
		n := i + 1
		if multi != "" {
			if strings.Contains(line, multi) {
				multi = ""
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			name := strings.TrimLeft(t, "[")
			if k, ok := firstKey(name); ok {
				if _, seen := lines[k]; !seen {
					lines[k] = n
				}
			}
			inTable = true
			continue
		}
		for _, delim := range []string{`"""`, `'''`} {
			if j := strings.Index(t, delim); j >= 0 && !strings.Contains(t[j+3:], delim) {
				multi = delim
			}
		}
		if inTable {
			continue
		}
		if k, ok := firstKey(t); ok {
			if _, seen := lines[k]; !seen {
				lines[k] = n
			}
		}
	}
	return lines
}

// firstKey returns the first element of the key at the start of s.
func firstKey(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	switch s[0] {
	case '"':
		end := strings.Index(s[1:], `"`)
		if end < 0 {
			return "", false
		}
		return s[1 : 1+end], true
	case '\'':
		end := strings.Index(s[1:], `'`)
		if end < 0 {
			return "", false
		}
		return s[1 : 1+end], true
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	})
	if end == 0 {
		return "", false
	}
	if end < 0 {
		end = len(s)
	}
	return s[:end], true
}

// lineOf is the line of key k, or a large number so unplaced keys sort last.
func lineOf(lines map[string]int, k string) int {
	if n, ok := lines[k]; ok {
		return n
	}
	return 1 << 30
}
