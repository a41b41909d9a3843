package generator

import (
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yosida95/uritemplate/v3"

	"github.com/mcpforge/mcpforge/runtime/typo"
)

// This file holds the validators and parsers of `mcpforge add`: what a tool,
// prompt or resource may be called, and how an argument is written on the
// command line. Like the answer validators, each returns an error that reads
// well after the flag or argument it judges.

// MaxItemNameLength is the longest tool, prompt or resource name: the MCP
// limit on tool names, applied to prompts and resources too.
const MaxItemNameLength = 64

// maxURILength bounds a resource URI template; far beyond any real one, it
// keeps a pasted blob out of generated code.
const maxURILength = 2048

// Argument types of a tool, as JSON Schema names them.
const (
	ArgString  = "string"
	ArgNumber  = "number"
	ArgInteger = "integer"
	ArgBoolean = "boolean"
	ArgObject  = "object"
	// ArgArray is an array whose items have the type in ToolArg.Items; --arg
	// writes it ITEM[], e.g. string[].
	ArgArray = "array"
)

// itemTypes are the types of an argument that is not an array, and of the
// items of one that is. Arrays of arrays are left out: no generated
// accessor reads them, and an array of objects covers what they would.
var itemTypes = []string{ArgString, ArgNumber, ArgInteger, ArgBoolean, ArgObject}

// KnownArgTypes returns every tool argument type as --arg writes it:
// string, number, integer, boolean, object, then each of them as an array
// (string[], ...).
func KnownArgTypes() []string {
	out := slices.Clone(itemTypes)
	for _, t := range itemTypes {
		out = append(out, t+"[]")
	}
	return out
}

// ArgGrammar is how an --arg of `mcpforge add` is written; DESCRIPTION is
// the rest of the value, colons included.
const ArgGrammar = "NAME:TYPE[:FLAGS[:DESCRIPTION]]"

// argFlags are the words FLAGS may list, comma-separated.
var argFlags = []string{"required", "optional"}

// SpecError is a tool, prompt or resource specification that cannot be used:
// an invalid name, argument, scope, URI or MIME type. [IsUsage] reports it.
type SpecError struct {
	// What names the part at fault, e.g. `tool name "a b"` or `--arg "x:int"`.
	What string
	// Err says what is wrong with it.
	Err error
}

// Error formats the problem as "<what>: <reason>".
func (e *SpecError) Error() string { return e.What + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *SpecError) Unwrap() error { return e.Err }

// ValidateToolName checks a tool name against the MCP rules: 1 to 64 ASCII
// letters, digits, underscores, dashes and dots, e.g. get_forecast.
func ValidateToolName(name string) error { return validateItemName(name, "get_forecast") }

// ValidatePromptName checks a prompt name with the rules of tool names, so
// that every name a server offers follows one convention.
func ValidatePromptName(name string) error { return validateItemName(name, "summarize") }

// ValidateResourceName checks a resource name with the rules of tool names.
func ValidateResourceName(name string) error { return validateItemName(name, "forecast") }

func validateItemName(name, example string) error {
	switch {
	case name == "":
		return fmt.Errorf("is required, e.g. %s", example)
	case len(name) > MaxItemNameLength:
		return fmt.Errorf("must be at most %d characters (got %d)", MaxItemNameLength, len(name))
	}
	for _, r := range name {
		if !isItemNameRune(r) {
			return fmt.Errorf("may contain only ASCII letters, digits, '_', '-' and '.' (%q has %q)", name, r)
		}
	}
	return nil
}

func isItemNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

// ValidateArgName checks the name of a tool or prompt argument: 1 to 64 ASCII
// letters, digits, underscores and dashes, starting with a letter or an
// underscore, so that it is a plain JSON property name every client handles.
func ValidateArgName(name string) error {
	switch {
	case name == "":
		return errors.New("is required, e.g. city")
	case len(name) > MaxItemNameLength:
		return fmt.Errorf("must be at most %d characters (got %d)", MaxItemNameLength, len(name))
	case !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z' || name[0] == '_'):
		return fmt.Errorf("must start with a letter or '_' (got %q)", name)
	}
	for _, r := range name {
		if !isItemNameRune(r) || r == '.' {
			return fmt.Errorf("may contain only ASCII letters, digits, '_' and '-' (%q has %q)", name, r)
		}
	}
	return nil
}

// ValidateScope checks an OAuth scope (RFC 6749 section 3.3): printable ASCII
// without spaces, double quotes or backslashes, e.g. weather:read.
func ValidateScope(s string) error {
	if s == "" {
		return errors.New("is empty; give a scope such as weather:read")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("%q is not an OAuth scope: use printable ASCII without spaces, quotes or backslashes", s)
		}
	}
	return nil
}

// ValidateItemDescription checks the description of a tool, prompt, resource
// or argument: valid UTF-8, one line, no control characters, at most 1024
// characters. Empty is fine: a placeholder replaces it.
func ValidateItemDescription(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > 1024 {
		return fmt.Errorf("must be at most 1024 characters (got %d)", n)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return fmt.Errorf("must be a single line without control characters (found %q)", r)
		}
	}
	return nil
}

// ValidateResourceURI checks the URI or URI template (RFC 6570) of a
// resource: an absolute URI with a scheme, e.g. docs://readme or
// weather://forecast/{city}, that mcp-go's template parser accepts (it would
// panic at server start otherwise), without spaces or control characters.
func ValidateResourceURI(s string) error {
	switch {
	case s == "":
		return errors.New("is required, e.g. weather://forecast/{city}")
	case len(s) > maxURILength:
		return fmt.Errorf("must be at most %d characters (got %d)", maxURILength, len(s))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r > 0x7e {
			return fmt.Errorf("%q must not contain spaces, control or non-ASCII characters; percent-encode them", s)
		}
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || rest == "" || !isScheme(scheme) {
		return fmt.Errorf("%q has no scheme; write an absolute URI such as docs://%s", s, strings.TrimLeft(s, ":/"))
	}
	if _, err := uritemplate.New(s); err != nil {
		return fmt.Errorf("%q is not a valid URI template: %v", s, err)
	}
	return nil
}

// isScheme reports whether s is a URI scheme (RFC 3986 section 3.1).
func isScheme(s string) bool {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if i == 0 && !letter || !(letter || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// IsURITemplate reports whether a resource URI has template expressions
// ({city}) and so names a resource template rather than one resource.
func IsURITemplate(uri string) bool { return strings.Contains(uri, "{") }

// ValidateMIMEType checks a MIME type such as text/plain or
// application/json; parameters (charset=utf-8) are allowed.
func ValidateMIMEType(s string) error {
	if s == "" {
		return errors.New("is empty; give a type such as text/plain")
	}
	mt, _, err := mime.ParseMediaType(s)
	if err != nil || !strings.Contains(mt, "/") || strings.HasPrefix(mt, "/") || strings.HasSuffix(mt, "/") {
		return fmt.Errorf("%q is not a MIME type such as text/plain or application/json", s)
	}
	return nil
}

// ToolArg is one argument of a tool: a property of its input schema.
type ToolArg struct {
	// Name is the property name, e.g. city.
	Name string
	// Type is ArgString, ArgNumber, ArgInteger, ArgBoolean, ArgObject or
	// ArgArray.
	Type string
	// Items is the type of the items of an ArgArray argument, one of the
	// other types; empty for any other argument.
	Items string
	// Required marks an argument the caller must give.
	Required bool
	// Description tells the model what to pass; may be empty.
	Description string

	// schemaOptions are further mcp-go property options of a tool of new,
	// Go source separated by commas, e.g. "mcp.MinLength(1), mcp.MaxLength(200)";
	// add gives none. A string keeps ToolArg comparable.
	schemaOptions string
}

// TypeSpec returns the type as --arg writes it: string, or string[] for an
// array of strings.
func (a ToolArg) TypeSpec() string {
	if a.Type == ArgArray {
		return a.Items + "[]"
	}
	return a.Type
}

// validType reports whether the type (and the item type of an array) is
// one add can generate code for.
func (a ToolArg) validType() bool {
	if a.Type == ArgArray {
		return slices.Contains(itemTypes, a.Items)
	}
	return a.Items == "" && slices.Contains(itemTypes, a.Type)
}

// PromptArg is one argument of a prompt; prompt arguments are strings.
type PromptArg struct {
	// Name is the argument name, e.g. topic.
	Name string
	// Required marks an argument the caller must give.
	Required bool
	// Description tells the user what to pass; may be empty.
	Description string
}

// argSpec is an --arg value split into the fields of ArgGrammar and
// checked.
type argSpec struct {
	name string
	// typ is the TYPE field as written, trimmed.
	typ         string
	required    bool
	description string
}

// parseArgSpec splits and checks one value of flag (--arg, --output)
// written as ArgGrammar, judging the TYPE field, or its absence (hasType
// false), with checkType, since tools and prompts take different types.
// Without either flag in FLAGS, required is byDefault. The description is
// everything after the third colon, colons included, so no word of it can
// be taken for a flag, and no misspelt flag for a description: FLAGS is
// empty or a comma list of required and optional, and anything else there
// is refused, with the flag it most resembles. Every error is a *SpecError
// naming the value.
func parseArgSpec(flag, spec string, byDefault bool, checkType func(name, typ string, hasType bool) error) (argSpec, error) {
	fail := func(format string, args ...any) (argSpec, error) {
		return argSpec{}, &SpecError{What: fmt.Sprintf("%s %q", flag, spec), Err: fmt.Errorf(format, args...)}
	}
	// Checked whole, before splitting and trimming, so that the position
	// is the one in the value as the user typed it.
	if err := CheckText(spec); err != nil {
		return fail("%w", err)
	}
	parts := strings.SplitN(spec, ":", 4)
	a := argSpec{name: strings.TrimSpace(parts[0]), required: byDefault}
	if err := ValidateArgName(a.name); err != nil {
		return fail("argument name %v", err)
	}
	if len(parts) > 1 {
		a.typ = strings.TrimSpace(parts[1])
	}
	// The type before the flags: in topic:required:text the mistake is
	// the missing type, not the flag "text".
	if err := checkType(a.name, a.typ, len(parts) > 1); err != nil {
		return fail("%w", err)
	}
	if len(parts) > 2 {
		required, err := parseArgFlags(parts[2], byDefault)
		if err != nil {
			if errors.Is(err, errNotAFlag) && len(parts) == 3 {
				// A third field unlike any flag is most likely a
				// description written without FLAGS: show where it goes.
				err = fmt.Errorf("%w; to give a description, leave FLAGS empty: %s:%s::%s", err, a.name, a.typ, strings.TrimSpace(parts[2]))
			}
			return fail("%w", err)
		}
		a.required = required
	}
	if len(parts) > 3 {
		a.description = strings.TrimSpace(parts[3])
	}
	if err := ValidateItemDescription(a.description); err != nil {
		return fail("description %v", err)
	}
	return a, nil
}

// errNotAFlag is matched by the error of a FLAGS entry that resembles no
// flag.
var errNotAFlag = errors.New("is not a flag")

// parseArgFlags parses FLAGS: empty (required is then byDefault), or a
// comma list of required and optional (case and spaces around each flag do
// not matter).
func parseArgFlags(field string, byDefault bool) (required bool, err error) {
	if strings.TrimSpace(field) == "" {
		return byDefault, nil
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(field, ",") {
		w := strings.ToLower(strings.TrimSpace(f))
		switch {
		case slices.Contains(argFlags, w):
			seen[w] = true
		case w == "":
			return false, fmt.Errorf("flags %q hold an empty entry; write them as a comma list of %s", field, strings.Join(argFlags, ", "))
		default:
			if best := closest(w, argFlags); best != "" {
				return false, fmt.Errorf("unknown flag %q; did you mean %q?", strings.TrimSpace(f), best)
			}
			return false, fmt.Errorf("%q %w: FLAGS is empty or a comma list of %s", strings.TrimSpace(f), errNotAFlag, strings.Join(argFlags, ", "))
		}
	}
	if seen["required"] && seen["optional"] {
		return false, errors.New("an argument is either required or optional; give one of the flags")
	}
	if !seen["required"] && !seen["optional"] {
		return byDefault, nil
	}
	return seen["required"], nil
}

// closest returns the word of known that w most likely misspells or
// abbreviates (requried, int), or "" when none is near enough.
func closest(w string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if len(w) >= 3 && strings.HasPrefix(k, w) {
			return k
		}
		// At most two edits, and fewer than half the word: "str" is not
		// "string" by distance, and "x" is nothing.
		if d := typo.Distance(w, k); d < bestDist && 2*d < len(k) {
			best, bestDist = k, d
		}
	}
	return best
}

// parseArgType parses the TYPE of a tool argument: one of itemTypes, or
// ITEM[] for an array of them.
func parseArgType(s string) (typ, items string, err error) {
	t := strings.ToLower(strings.TrimSpace(s))
	all := strings.Join(KnownArgTypes(), ", ")
	if item, ok := strings.CutSuffix(t, "[]"); ok {
		item = strings.TrimSpace(item)
		switch {
		case slices.Contains(itemTypes, item):
			return ArgArray, item, nil
		case item == ArgArray || strings.HasSuffix(item, "[]"):
			return "", "", fmt.Errorf("type %q: arrays of arrays are not supported; use an array of objects (object[])", s)
		case closest(item, itemTypes) != "":
			return "", "", fmt.Errorf("unknown type %q; did you mean %q?", s, closest(item, itemTypes)+"[]")
		}
		return "", "", fmt.Errorf("unknown type %q; use one of %s", s, all)
	}
	switch {
	case slices.Contains(itemTypes, t):
		return t, "", nil
	case t == "":
		return "", "", fmt.Errorf("the type is missing; use one of %s", all)
	case t == ArgArray:
		// The type of the items is part of the schema clients see, so a
		// bare array is refused rather than guessed.
		return "", "", fmt.Errorf("type %q needs the type of its items: write string[], number[], integer[], boolean[] or object[]", s)
	case slices.Contains(argFlags, t):
		return "", "", fmt.Errorf("%q is a flag, not a type; the type comes first: NAME:TYPE:%s", s, t)
	case closest(t, itemTypes) != "":
		return "", "", fmt.Errorf("unknown type %q; did you mean %q?", s, closest(t, itemTypes))
	}
	return "", "", fmt.Errorf("unknown type %q; use one of %s", s, all)
}

// ParseToolArg parses the --arg value of `add tool`, written as ArgGrammar:
// NAME:TYPE[:FLAGS[:DESCRIPTION]], e.g. city:string:required:The city,
// days:integer::Days ahead or tags:string[]. TYPE is string, number,
// integer, boolean, object, or ITEM[] for an array of one of them; FLAGS is
// empty or a comma list of required and optional (the default);
// DESCRIPTION is the rest, colons included.
func ParseToolArg(spec string) (ToolArg, error) {
	return parseToolField("--arg", spec, false)
}

// ParseToolOutput parses the --output value of `add tool`, a property of
// the tool's result, with the grammar of --arg: NAME:TYPE[:FLAGS[:DESCRIPTION]],
// e.g. temperature:number::Degrees Celsius or summary:string:optional. An
// output is required unless FLAGS says optional: a result carries what its
// schema promises.
func ParseToolOutput(spec string) (ToolArg, error) {
	return parseToolField("--output", spec, true)
}

// parseToolField parses an --arg or --output value (flag names which) of a
// tool; required is the default of FLAGS.
func parseToolField(flag, spec string, required bool) (ToolArg, error) {
	var a ToolArg
	s, err := parseArgSpec(flag, spec, required, func(name, typ string, hasType bool) error {
		if !hasType {
			return fmt.Errorf("write it as %s with TYPE one of %s, e.g. %s:string:required", ArgGrammar, strings.Join(KnownArgTypes(), ", "), name)
		}
		var err error
		a.Type, a.Items, err = parseArgType(typ)
		return err
	})
	if err != nil {
		return ToolArg{}, err
	}
	a.Name, a.Required, a.Description = s.name, s.required, s.description
	return a, nil
}

// ParsePromptArg parses the --arg value of `add prompt` with the grammar of
// tool arguments, NAME[:TYPE[:FLAGS[:DESCRIPTION]]], where TYPE is string or
// empty, since prompt arguments are strings, and may be left out with the
// rest: topic, topic:string:required:What to summarize, or
// topic::required.
func ParsePromptArg(spec string) (PromptArg, error) {
	s, err := parseArgSpec("--arg", spec, false, func(name, typ string, _ bool) error {
		switch t := strings.ToLower(typ); {
		case t == "" || t == ArgString:
			return nil
		case slices.Contains(argFlags, t):
			return fmt.Errorf("%q is a flag, not a type; prompt arguments are strings, so write %s:string:%s or %s::%s", typ, name, t, name, t)
		}
		if _, _, err := parseArgType(typ); err == nil {
			return fmt.Errorf("prompt arguments are strings; write the type string or leave it empty, not %q", typ)
		}
		return fmt.Errorf("unknown type %q; prompt arguments are strings: write string or leave the type empty", typ)
	})
	if err != nil {
		return PromptArg{}, err
	}
	return PromptArg{Name: s.name, Required: s.required, Description: s.description}, nil
}
