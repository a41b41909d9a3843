package toolargs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// typeSet is a set of JSON Schema types, one bit each.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tInteger // a number without a fractional part; set together with tNumber on values
	tString
)

// typeNames maps the names of the type keyword to their bit and to how a
// message says them.
var typeNames = map[string]struct {
	bit  typeSet
	text string
}{
	"null":    {tNull, "null"},
	"boolean": {tBoolean, "a boolean"},
	"object":  {tObject, "an object"},
	"array":   {tArray, "an array"},
	"number":  {tNumber, "a number"},
	"integer": {tInteger, "an integer"},
	"string":  {tString, "a string"},
}

// node is one compiled schema. Everything a message needs (type names,
// bounds, enum members) is rendered here, once, so that checking a value
// never formats the schema.
type node struct {
	never bool // the false schema: no value is valid

	types    typeSet // 0: any type
	typeText string  // "must be an integer", "must be a string or null"
	nullText string  // typeText for a null value: "must be an integer, not null"

	enum     []any  // JSON values, numbers as float64; nil: no enum or const
	enumText string // `must be one of "a" or "b"`, `must be 3`

	min, max       bound
	rangeText      string // "must be between 1 and 16"; "" without bounds
	multipleOf     float64
	multipleOfText string // "must be a multiple of 0.5"

	minLen, maxLen int // in code points; -1: no bound
	lenText        string
	pattern        *regexp.Regexp
	patternText    string // "must match the pattern ^[a-z]+$"

	items              *node
	minItems, maxItems int // -1: no bound
	itemsText          string
	unique             bool

	props              map[string]*node
	names              []string // the keys of props, sorted
	required           []string
	additional         *node // nil: any other property is allowed
	propNames          *node
	minProps, maxProps int // -1: no bound
	propsText          string

	ref *node // the schema $ref names, checked after this one
}

// bound is a minimum or maximum.
type bound struct {
	set       bool
	exclusive bool
	v         float64
	text      string // as the schema writes it
}

// annotations are the keywords that describe and do not constrain.
var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "format": true,
	"contentEncoding": true, "contentMediaType": true, "contentSchema": true,
	"$schema": true, "$comment": true,
}

// compiler compiles one schema document.
type compiler struct {
	nodes map[string]*node // by JSON pointer: $ref targets, and cycles
	refs  []pendingRef
	errs  []string
}

type pendingRef struct {
	from *node
	ptr  string // where the $ref is
	to   string // the JSON pointer it names
}

// compile compiles a decoded schema document.
func compile(doc any) (*node, error) {
	if _, ok := doc.(map[string]any); !ok {
		if _, ok := doc.(bool); !ok {
			return nil, errors.New("input schema must be a JSON object")
		}
	}
	c := &compiler{nodes: map[string]*node{}}
	root := c.node(doc, "")
	// Compiling a target can add $refs of its own, hence the index loop.
	for i := 0; i < len(c.refs); i++ {
		r := c.refs[i]
		target, ok := resolvePointer(doc, r.to)
		if !ok {
			c.fail(r.ptr, "$ref %s names nothing in this schema", strconv.Quote("#"+r.to))
			continue
		}
		r.from.ref = c.node(target, r.to)
	}
	if len(c.errs) == 0 {
		c.checkRefCycles()
	}
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("input schema cannot be enforced: %s", strings.Join(c.errs, "; "))
	}
	return root, nil
}

// fail records a problem of the schema at JSON pointer ptr.
func (c *compiler) fail(ptr, format string, args ...any) {
	where := "at the top level"
	if ptr != "" {
		where = "at " + ptr
	}
	c.errs = append(c.errs, where+": "+fmt.Sprintf(format, args...))
}

// checkRefCycles refuses a $ref chain that comes back to where it started
// without descending into the value: checking it would never end.
func (c *compiler) checkRefCycles() {
	ptrs := make([]string, 0, len(c.nodes))
	for p := range c.nodes {
		ptrs = append(ptrs, p)
	}
	slices.Sort(ptrs)
	for _, p := range ptrs {
		start := c.nodes[p]
		for n, steps := start.ref, 0; n != nil && steps <= len(c.nodes); n, steps = n.ref, steps+1 {
			if n == start {
				c.fail(p, "$ref leads back to this schema without descending into the arguments")
				break
			}
		}
	}
}

// node compiles the schema v found at JSON pointer ptr.
func (c *compiler) node(v any, ptr string) *node {
	if n, ok := c.nodes[ptr]; ok {
		return n
	}
	n := &node{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1, minProps: -1, maxProps: -1}
	c.nodes[ptr] = n
	switch s := v.(type) {
	case bool:
		n.never = !s
		return n
	case map[string]any:
		c.keywords(n, s, ptr)
	default:
		c.fail(ptr, "a schema must be an object or a boolean")
	}
	return n
}

// keywords compiles the keywords of one schema object, in name order so
// that errors come out in a stable order.
func (c *compiler) keywords(n *node, s map[string]any, ptr string) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := s[k]
		at := ptr + "/" + escapePointer(k)
		switch k {
		case "type":
			c.types(n, v, at)
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				c.fail(at, "enum must be a non-empty array")
				continue
			}
			c.enum(n, list)
		case "const":
			if _, ok := s["enum"]; ok {
				c.fail(at, "const and enum together are not supported; keep one")
				continue
			}
			c.enum(n, []any{v})
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			c.bound(n, s, k, v, at)
		case "multipleOf":
			f, text, ok := number(v)
			if !ok || f <= 0 || math.IsInf(f, 0) {
				c.fail(at, "multipleOf must be a number greater than 0")
				continue
			}
			n.multipleOf, n.multipleOfText = f, "must be a multiple of "+text
		case "minLength":
			n.minLen = c.count(v, at, k)
		case "maxLength":
			n.maxLen = c.count(v, at, k)
		case "minItems":
			n.minItems = c.count(v, at, k)
		case "maxItems":
			n.maxItems = c.count(v, at, k)
		case "minProperties":
			n.minProps = c.count(v, at, k)
		case "maxProperties":
			n.maxProps = c.count(v, at, k)
		case "pattern":
			p, ok := v.(string)
			if !ok {
				c.fail(at, "pattern must be a string")
				continue
			}
			re, err := regexp.Compile(p)
			if err != nil {
				c.fail(at, "pattern %s is not a regular expression Go can run (RE2 syntax): %v", strconv.Quote(p), err)
				continue
			}
			n.pattern, n.patternText = re, "must match the pattern "+p
		case "uniqueItems":
			b, ok := v.(bool)
			if !ok {
				c.fail(at, "uniqueItems must be true or false")
				continue
			}
			n.unique = b
		case "items":
			if _, ok := v.([]any); ok {
				c.fail(at, "items as an array (tuple validation) is not supported; give one schema for every item")
				continue
			}
			n.items = c.node(v, at)
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				c.fail(at, "properties must be an object")
				continue
			}
			n.props = make(map[string]*node, len(props))
			for name, ps := range props {
				n.props[name] = c.node(ps, at+"/"+escapePointer(name))
				n.names = append(n.names, name)
			}
			slices.Sort(n.names)
		case "required":
			list, ok := v.([]any)
			if !ok {
				c.fail(at, "required must be an array of property names; a property is made required by listing it in its object's required array")
				continue
			}
			for _, item := range list {
				name, ok := item.(string)
				if !ok {
					c.fail(at, "required must list property names (strings)")
					break
				}
				if !slices.Contains(n.required, name) {
					n.required = append(n.required, name)
				}
			}
		case "additionalProperties":
			if isEmptySchema(v) {
				continue // true or {}: any other property, nothing to check
			}
			n.additional = c.node(v, at)
		case "propertyNames":
			n.propNames = c.node(v, at)
		case "$ref":
			ref, ok := v.(string)
			if !ok || !strings.HasPrefix(ref, "#") {
				c.fail(at, "$ref must point inside this schema (\"#/$defs/Name\"); other documents are never fetched")
				continue
			}
			to, err := unescapeFragment(ref[1:])
			if err != nil {
				c.fail(at, "$ref %s is not a JSON pointer", strconv.Quote(ref))
				continue
			}
			c.refs = append(c.refs, pendingRef{from: n, ptr: at, to: to})
		case "$defs", "definitions":
			defs, ok := v.(map[string]any)
			if !ok {
				c.fail(at, "%s must be an object", k)
				continue
			}
			// Compiled even when nothing refers to them, so that a broken
			// definition is reported now rather than when a $ref appears.
			for name, d := range defs {
				c.node(d, at+"/"+escapePointer(name))
			}
		case "not":
			// jsonschema-go writes {"not": {}} for "nothing is allowed".
			if isEmptySchema(v) {
				n.never = true
				continue
			}
			c.fail(at, "keyword \"not\" is only supported as {\"not\": {}} (nothing is allowed); the argument validator cannot enforce other negations")
		case "$id":
			if ptr != "" {
				c.fail(at, "$id below the top level is not supported")
			}
		default:
			if annotations[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			c.fail(at, "keyword %s is not supported by the server's argument validator, which cannot enforce it; remove it, or express the rule with type, enum, const, minimum, maximum, minLength, maxLength, pattern, items, properties, required or additionalProperties", strconv.Quote(k))
		}
	}
	// Draft 4 writes "exclusiveMinimum": true beside "minimum".
	for _, k := range []string{"exclusiveMinimum", "exclusiveMaximum"} {
		if b, ok := s[k].(bool); ok && b {
			target, base := &n.min, "minimum"
			if k == "exclusiveMaximum" {
				target, base = &n.max, "maximum"
			}
			if _, ok := s[base]; !ok {
				c.fail(ptr+"/"+k, "%s: true needs %s beside it", k, base)
			}
			target.exclusive = true
		}
	}
	n.renderTexts()
}

// types compiles the type keyword: a name or a list of names.
func (c *compiler) types(n *node, v any, at string) {
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				c.fail(at, "type must be a type name or a list of them")
				return
			}
			names = append(names, s)
		}
	default:
		c.fail(at, "type must be a type name or a list of them")
		return
	}
	if len(names) == 0 {
		c.fail(at, "type must name at least one type")
		return
	}
	var texts []string
	for _, name := range names {
		t, ok := typeNames[name]
		if !ok {
			c.fail(at, "%s is not a JSON Schema type; use one of null, boolean, object, array, number, integer, string", strconv.Quote(name))
			return
		}
		if n.types&t.bit == 0 {
			n.types |= t.bit
			texts = append(texts, t.text)
		}
	}
	n.typeText = "must be " + orList(texts)
	n.nullText = n.typeText + ", not null"
}

// enum compiles enum or const.
func (c *compiler) enum(n *node, list []any) {
	texts := make([]string, len(list))
	n.enum = make([]any, len(list))
	for i, v := range list {
		texts[i] = renderJSON(v)
		n.enum[i] = normalizeNumbers(v)
	}
	if len(list) == 1 {
		n.enumText = "must be " + texts[0]
	} else {
		n.enumText = "must be one of " + orList(texts)
	}
}

// bound compiles minimum, maximum and their exclusive forms.
func (c *compiler) bound(n *node, s map[string]any, k string, v any, at string) {
	if _, ok := v.(bool); ok && strings.HasPrefix(k, "exclusive") {
		return // the draft 4 form, applied once all keywords are read
	}
	f, text, ok := number(v)
	if !ok {
		c.fail(at, "%s must be a number", k)
		return
	}
	target := &n.min
	if k == "maximum" || k == "exclusiveMaximum" {
		target = &n.max
	}
	exclusive := strings.HasPrefix(k, "exclusive")
	if target.set {
		// Both minimum and exclusiveMinimum: the stricter one wins.
		stricter := f > target.v || (f == target.v && exclusive)
		if k == "maximum" || k == "exclusiveMaximum" {
			stricter = f < target.v || (f == target.v && exclusive)
		}
		if !stricter {
			return
		}
	}
	*target = bound{set: true, exclusive: exclusive, v: f, text: text}
}

// count compiles a non-negative integer keyword such as minLength.
func (c *compiler) count(v any, at, k string) int {
	f, _, ok := number(v)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		c.fail(at, "%s must be a non-negative integer", k)
		return -1
	}
	return int(f)
}

// renderTexts renders the parts of messages that depend only on the schema.
func (n *node) renderTexts() {
	switch {
	case n.min.set && n.max.set && !n.min.exclusive && !n.max.exclusive:
		n.rangeText = "must be between " + n.min.text + " and " + n.max.text
	case n.min.set && n.max.set:
		n.rangeText = "must be " + n.min.phrase(true) + " and " + n.max.phrase(false)
	case n.min.set:
		n.rangeText = "must be " + n.min.phrase(true)
	case n.max.set:
		n.rangeText = "must be " + n.max.phrase(false)
	}
	switch {
	case n.minLen == 1 && n.maxLen < 0:
		n.lenText = "must not be empty"
	default:
		n.lenText = countText(n.minLen, n.maxLen, "character", "characters", " long")
	}
	n.itemsText = countText(n.minItems, n.maxItems, "item", "items", "")
	n.propsText = countText(n.minProps, n.maxProps, "property", "properties", "")
	if n.minItems >= 0 || n.maxItems >= 0 {
		n.itemsText = strings.Replace(n.itemsText, "must be", "must have", 1)
	}
	if n.minProps >= 0 || n.maxProps >= 0 {
		n.propsText = strings.Replace(n.propsText, "must be", "must have", 1)
	}
}

// phrase says a bound: "at least 1", "greater than 0".
func (b bound) phrase(lower bool) string {
	switch {
	case lower && b.exclusive:
		return "greater than " + b.text
	case lower:
		return "at least " + b.text
	case b.exclusive:
		return "less than " + b.text
	default:
		return "at most " + b.text
	}
}

// countText says a range of counts: "must be at least 1 character long",
// "must be between 2 and 5 items". "" without bounds.
func countText(lo, hi int, one, many, suffix string) string {
	unit := func(n int) string {
		if n == 1 {
			return one
		}
		return many
	}
	switch {
	case lo >= 0 && hi >= 0 && lo == hi:
		return "must be exactly " + strconv.Itoa(lo) + " " + unit(lo) + suffix
	case lo >= 0 && hi >= 0:
		return "must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi) + " " + many + suffix
	case lo >= 0:
		return "must be at least " + strconv.Itoa(lo) + " " + unit(lo) + suffix
	case hi >= 0:
		return "must be at most " + strconv.Itoa(hi) + " " + unit(hi) + suffix
	}
	return ""
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// number reads a numeric keyword value: its float64 and its text as the
// schema writes it.
func number(v any) (float64, string, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, "", false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) {
		return 0, "", false
	}
	return f, string(n), true
}

// renderJSON renders a value of the schema as JSON for a message (a string
// with its quotes, a number as written).
func renderJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "a value"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// normalizeNumbers turns the json.Numbers of a schema value into float64,
// the form checked values are compared in.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return math.Inf(1) // out of float64 range: equal to nothing sent in range
		}
		return f
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeNumbers(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalizeNumbers(e)
		}
		return out
	}
	return v
}

// isEmptySchema reports whether v is {} or true (or holds only
// annotations): the schema every value matches.
func isEmptySchema(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case map[string]any:
		for k := range t {
			if !annotations[k] && !strings.HasPrefix(k, "x-") {
				return false
			}
		}
		return true
	}
	return false
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// unescapeFragment turns the fragment of a $ref ("/$defs/Name", maybe
// percent-encoded) into a JSON pointer, checking its form.
func unescapeFragment(frag string) (string, error) {
	if frag == "" {
		return "", nil
	}
	if !strings.HasPrefix(frag, "/") {
		return "", errors.New("not a JSON pointer")
	}
	if strings.Contains(frag, "%") {
		var b strings.Builder
		for i := 0; i < len(frag); i++ {
			if frag[i] != '%' {
				b.WriteByte(frag[i])
				continue
			}
			if i+2 >= len(frag) {
				return "", errors.New("bad percent escape")
			}
			x, err := strconv.ParseUint(frag[i+1:i+3], 16, 8)
			if err != nil {
				return "", errors.New("bad percent escape")
			}
			b.WriteByte(byte(x))
			i += 2
		}
		frag = b.String()
	}
	return frag, nil
}

// resolvePointer finds the value at JSON pointer ptr in doc.
func resolvePointer(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
