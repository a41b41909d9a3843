package toolargs

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcpforge/mcpforge/runtime/typo"
)

const (
	// maxProblems is how many problems one error lists; the rest are
	// counted. A model acts on the first few, and an argument of a million
	// bad items must not become a megabyte of text.
	maxProblems = 20
	// maxDepth is how deep into nested arguments the validator follows a
	// (recursive) schema; deeper values are reported, never followed, so
	// that no argument can exhaust the stack.
	maxDepth = 200
)

// step is one step of the path from the arguments to a value.
type step struct {
	key   string
	index int  // >= 0: an array index; -1: the key of an object
	name  bool // the key itself was checked (propertyNames)
}

// problem is one broken rule, rendered into a sentence only at the end.
type problem struct {
	// steps is the path to the value, innermost first. Checking descends
	// without recording where it is; each level appends its step to the
	// problems found below it on the way back up, so that valid arguments
	// cost no path at all.
	steps []step
	form  form
	text  string // formSubject: what the value must be, from the schema
	alt   string // formUnknown: the key the caller may have meant, or ""
}

// form is the shape of a problem's sentence.
type form uint8

const (
	formSubject form = iota // "<value> <text>"
	formMissing             // missing required argument "<path>"
	formUnknown             // unknown argument "<path>" (did you mean "<alt>"?)
)

// checker collects the problems of one Validate call.
type checker struct {
	problems []problem
	more     int // problems beyond maxProblems
	depth    int
}

// check checks v against n and the schemas its $ref chain names.
func (c *checker) check(n *node, v any) {
	if c.depth >= maxDepth {
		c.add("is nested too deeply to check")
		return
	}
	c.depth++
	for ; n != nil; n = n.ref {
		c.one(n, v)
	}
	c.depth--
}

// one checks v against the keywords of n itself.
func (c *checker) one(n *node, v any) {
	if n.never {
		c.add("must not be given")
		return
	}
	kind, num, v, ok := classify(v)
	if !ok {
		c.add("is not a JSON value")
		return
	}
	if n.types != 0 && n.types&kind == 0 {
		if kind == tNull {
			c.add(n.nullText)
		} else {
			c.add(n.typeText)
		}
		return
	}
	if n.enum != nil && !inEnum(n.enum, v, kind, num) {
		c.add(n.enumText)
		return
	}
	switch {
	case kind&tNumber != 0:
		c.number(n, num)
	case kind == tString:
		c.string(n, v.(string))
	case kind == tArray:
		c.array(n, v.([]any))
	case kind == tObject:
		c.object(n, v.(map[string]any))
	}
}

func (c *checker) number(n *node, f float64) {
	if n.rangeText != "" {
		low := n.min.set && (f < n.min.v || (n.min.exclusive && f == n.min.v))
		high := n.max.set && (f > n.max.v || (n.max.exclusive && f == n.max.v))
		if low || high {
			c.add(n.rangeText)
		}
	}
	if n.multipleOf > 0 {
		// Decimal multiples (0.1) are not exact in binary: allow rounding.
		q := f / n.multipleOf
		if math.IsInf(q, 0) || math.Abs(q-math.Round(q)) > 1e-9 {
			c.add(n.multipleOfText)
		}
	}
}

func (c *checker) string(n *node, s string) {
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := utf8.RuneCountInString(s)
		if (n.minLen >= 0 && l < n.minLen) || (n.maxLen >= 0 && l > n.maxLen) {
			c.add(n.lenText)
		}
	}
	if n.pattern != nil && !n.pattern.MatchString(s) {
		c.add(n.patternText)
	}
}

func (c *checker) array(n *node, a []any) {
	if n.items != nil {
		if n.items.never {
			if len(a) > 0 {
				c.add("must be empty")
			}
		} else {
			for i, item := range a {
				start := len(c.problems)
				c.check(n.items, item)
				c.within(start, step{index: i})
			}
		}
	}
	if (n.minItems >= 0 && len(a) < n.minItems) || (n.maxItems >= 0 && len(a) > n.maxItems) {
		c.add(n.itemsText)
	}
	if n.unique && len(a) > 1 {
		if i, j, dup := firstDuplicate(a); dup {
			c.add("must have unique items, but items " + strconv.Itoa(i) + " and " + strconv.Itoa(j) + " are equal")
		}
	}
}

func (c *checker) object(n *node, obj map[string]any) {
	for _, name := range n.required {
		if _, ok := obj[name]; !ok && c.room() {
			c.problems = append(c.problems, problem{form: formMissing, steps: []step{{key: name, index: -1}}})
		}
	}
	matched := 0
	for _, name := range n.names {
		v, ok := obj[name]
		if !ok {
			continue
		}
		matched++
		start := len(c.problems)
		c.check(n.props[name], v)
		c.within(start, step{key: name, index: -1})
	}
	if (matched < len(obj) && n.additional != nil) || n.propNames != nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if n.propNames != nil {
				start := len(c.problems)
				c.check(n.propNames, k)
				c.within(start, step{key: k, index: -1, name: true})
			}
			if _, known := n.props[k]; known || n.additional == nil {
				continue
			}
			if n.additional.never {
				if c.room() {
					c.problems = append(c.problems, problem{form: formUnknown, steps: []step{{key: k, index: -1}}, alt: suggest(n, obj, k)})
				}
				continue
			}
			start := len(c.problems)
			c.check(n.additional, obj[k])
			c.within(start, step{key: k, index: -1})
		}
	}
	if (n.minProps >= 0 && len(obj) < n.minProps) || (n.maxProps >= 0 && len(obj) > n.maxProps) {
		c.add(n.propsText)
	}
}

// suggest returns the property of n, not given in obj, that the unknown
// key k is at most two edits away from, or "".
func suggest(n *node, obj map[string]any, k string) string {
	if len(k) > 64 {
		return "" // a key this long is no typo; spare the comparisons
	}
	best, bestDist := "", 3
	for _, name := range n.names {
		if _, given := obj[name]; given {
			continue
		}
		if d := typo.Distance(k, name); d < bestDist && d < utf8.RuneCountInString(name) {
			best, bestDist = name, d
		}
	}
	return best
}

// add records that the value being checked breaks a rule; text says what
// it must be ("must be an integer").
func (c *checker) add(text string) {
	if c.room() {
		c.problems = append(c.problems, problem{text: text})
	}
}

// within adds s to the path of the problems found from index start on:
// they are about a value below s.
func (c *checker) within(start int, s step) {
	for i := start; i < len(c.problems); i++ {
		c.problems[i].steps = append(c.problems[i].steps, s)
	}
}

// room reports whether another problem may be listed, counting it if not.
func (c *checker) room() bool {
	if len(c.problems) < maxProblems {
		return true
	}
	c.more++
	return false
}

// err returns the collected problems as an *Error, or nil.
func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	sentences := make([]string, 0, len(c.problems)+1)
	for _, p := range c.problems {
		if s := p.sentence(); !slices.Contains(sentences, s) {
			// A value checked by a schema and by the schema its $ref
			// names can break the same rule twice.
			sentences = append(sentences, s)
		}
	}
	switch {
	case c.more == 1:
		sentences = append(sentences, "and 1 more problem")
	case c.more > 1:
		sentences = append(sentences, "and "+strconv.Itoa(c.more)+" more problems")
	}
	return &Error{Problems: sentences}
}

// sentence renders the problem.
func (p problem) sentence() string {
	switch p.form {
	case formMissing:
		return "missing required argument " + quoted(p.steps)
	case formUnknown:
		msg := "unknown argument " + quoted(p.steps)
		if p.alt != "" {
			alt := slices.Clone(p.steps)
			alt[0].key = p.alt
			msg += " (did you mean " + quoted(alt) + "?)"
		}
		return msg
	}
	return subject(p.steps) + " " + p.text
}

// subject names the value at the end of steps at the start of a sentence.
func subject(steps []step) string {
	switch {
	case len(steps) == 0:
		return "the arguments"
	case steps[0].name && len(steps) == 1:
		return "argument name " + strconv.Quote(steps[0].key)
	case steps[0].name:
		return "property name " + strconv.Quote(steps[0].key) + " of " + quoted(steps[1:])
	}
	return quoted(steps)
}

// quoted renders a path (innermost step first) quoted: "city",
// "address.city", "stops[2].name".
func quoted(steps []step) string {
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		switch {
		case s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case i < len(steps)-1:
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			b.WriteString(s.key)
		}
	}
	return strconv.Quote(b.String())
}

// classify returns the JSON type of v (numbers carry tInteger too when they
// are whole), its value as a float64 for numbers, and v in the form of
// encoding/json's decoding (map[string]any, []any, ...). Go values of other
// types, which only in-process callers send, are converted through JSON;
// ok is false for what has no JSON form.
func classify(v any) (kind typeSet, num float64, out any, ok bool) {
	switch t := v.(type) {
	case nil:
		return tNull, 0, v, true
	case bool:
		return tBoolean, 0, v, true
	case string:
		return tString, 0, v, true
	case map[string]any:
		return tObject, 0, v, true
	case []any:
		return tArray, 0, v, true
	case float64:
		return numberKind(t), t, v, !math.IsNaN(t) && !math.IsInf(t, 0)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, 0, v, false
		}
		return numberKind(f), f, v, true
	case int:
		return tNumber | tInteger, float64(t), v, true
	case int64:
		return tNumber | tInteger, float64(t), v, true
	case int32:
		return tNumber | tInteger, float64(t), v, true
	case uint:
		return tNumber | tInteger, float64(t), v, true
	case uint64:
		return tNumber | tInteger, float64(t), v, true
	case float32:
		f := float64(t)
		return numberKind(f), f, v, !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return 0, 0, v, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var decoded any
	if err := dec.Decode(&decoded); err != nil {
		return 0, 0, v, false
	}
	return classify(decoded)
}

// numberKind is the type of a number: whole numbers are integers too.
func numberKind(f float64) typeSet {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		return tNumber | tInteger
	}
	return tNumber
}

// inEnum reports whether v (of kind, with num for numbers) equals a member
// of enum (schema values, numbers as float64).
func inEnum(enum []any, v any, kind typeSet, num float64) bool {
	for _, e := range enum {
		switch ev := e.(type) {
		case string:
			if s, ok := v.(string); ok && s == ev {
				return true
			}
		case float64:
			if kind&tNumber != 0 && num == ev {
				return true
			}
		default:
			if equalJSON(e, v, 0) {
				return true
			}
		}
	}
	return false
}

// equalJSON reports whether JSON values a and b are equal (numbers by value,
// objects regardless of key order). depth bounds the recursion.
func equalJSON(a, b any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	ka, na, a, okA := classify(a)
	kb, nb, b, okB := classify(b)
	if !okA || !okB {
		return false
	}
	if ka&tNumber != 0 || kb&tNumber != 0 {
		return ka&tNumber != 0 && kb&tNumber != 0 && na == nb
	}
	if ka != kb {
		return false
	}
	switch ka {
	case tNull:
		return true
	case tBoolean:
		return a.(bool) == b.(bool)
	case tString:
		return a.(string) == b.(string)
	case tArray:
		x, y := a.([]any), b.([]any)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case tObject:
		x, y := a.(map[string]any), b.(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// firstDuplicate finds the first item of a equal to an earlier one, through
// a canonical form of each item, so that a long array costs linear time.
func firstDuplicate(a []any) (first, second int, found bool) {
	seen := make(map[string]int, len(a))
	var b strings.Builder
	for i, item := range a {
		b.Reset()
		canonical(&b, item, 0)
		key := b.String()
		if j, ok := seen[key]; ok {
			return j, i, true
		}
		seen[key] = i
	}
	return 0, 0, false
}

// canonical writes a form of v that is equal for equal JSON values: numbers
// by value, object keys sorted. Values nested deeper than maxDepth are cut
// off, which can only merge values no schema here tells apart anyway.
func canonical(b *strings.Builder, v any, depth int) {
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	kind, num, v, ok := classify(v)
	switch {
	case !ok:
		b.WriteString("?")
	case kind&tNumber != 0:
		b.WriteString("n")
		b.WriteString(strconv.FormatFloat(num, 'g', -1, 64))
	case kind == tNull:
		b.WriteString("z")
	case kind == tBoolean:
		b.WriteString(strconv.FormatBool(v.(bool)))
	case kind == tString:
		b.WriteString(strconv.Quote(v.(string)))
	case kind == tArray:
		b.WriteString("[")
		for _, e := range v.([]any) {
			canonical(b, e, depth+1)
			b.WriteString(",")
		}
		b.WriteString("]")
	case kind == tObject:
		m := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteString(":")
			canonical(b, m[k], depth+1)
			b.WriteString(",")
		}
		b.WriteString("}")
	}
}
