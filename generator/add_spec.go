package generator

import (
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yosida95/uritemplate/v3"
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
	ArgArray   = "array" // an array of strings
	ArgObject  = "object"
)

var knownArgTypes = []string{ArgString, ArgNumber, ArgInteger, ArgBoolean, ArgArray, ArgObject}

// KnownArgTypes returns every tool argument type.
func KnownArgTypes() []string { return slices.Clone(knownArgTypes) }

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
	// Type is one of KnownArgTypes.
	Type string
	// Required marks an argument the caller must give.
	Required bool
	// Description tells the model what to pass; may be empty.
	Description string
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

// ParseToolArg parses the --arg value of `add tool`:
// name:type[:required][:description], e.g. city:string:required:The city
// or days:integer:Days ahead. The third part is the word required (or
// optional, the default); anything else starts the description, which may
// itself contain colons.
func ParseToolArg(spec string) (ToolArg, error) {
	fail := func(format string, args ...any) (ToolArg, error) {
		return ToolArg{}, &SpecError{What: fmt.Sprintf("--arg %q", spec), Err: fmt.Errorf(format, args...)}
	}
	// Checked whole, before splitting and trimming, so that the position
	// is the one in the spec as the user typed it.
	if err := CheckText(spec); err != nil {
		return fail("%w", err)
	}
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) < 2 {
		return fail("write it as name:type[:required][:description] with type one of %s, e.g. city:string:required", strings.Join(knownArgTypes, ", "))
	}
	a := ToolArg{Name: strings.TrimSpace(parts[0]), Type: strings.ToLower(strings.TrimSpace(parts[1]))}
	if err := ValidateArgName(a.Name); err != nil {
		return fail("argument name %v", err)
	}
	if !slices.Contains(knownArgTypes, a.Type) {
		return fail("unknown type %q; use one of %s", parts[1], strings.Join(knownArgTypes, ", "))
	}
	if len(parts) == 3 {
		a.Required, a.Description = requiredAndDescription(parts[2])
	}
	if err := ValidateItemDescription(a.Description); err != nil {
		return fail("description %v", err)
	}
	return a, nil
}

// ParsePromptArg parses the --arg value of `add prompt`:
// name[:required][:description], e.g. topic:required:What to summarize.
// A type after the name is accepted when it is string, the only type prompt
// arguments have (so the tool form name:string:required works too).
func ParsePromptArg(spec string) (PromptArg, error) {
	fail := func(format string, args ...any) (PromptArg, error) {
		return PromptArg{}, &SpecError{What: fmt.Sprintf("--arg %q", spec), Err: fmt.Errorf(format, args...)}
	}
	if err := CheckText(spec); err != nil { // as in ParseToolArg
		return fail("%w", err)
	}
	name, rest, hasRest := strings.Cut(spec, ":")
	a := PromptArg{Name: strings.TrimSpace(name)}
	if err := ValidateArgName(a.Name); err != nil {
		return fail("argument name %v", err)
	}
	if hasRest {
		first, after, more := strings.Cut(rest, ":")
		switch t := strings.ToLower(strings.TrimSpace(first)); {
		case t == ArgString:
			rest, hasRest = after, more
		case slices.Contains(knownArgTypes, t):
			return fail("prompt arguments are strings; drop the type %q or write string", first)
		}
	}
	if hasRest {
		a.Required, a.Description = requiredAndDescription(rest)
	}
	if err := ValidateItemDescription(a.Description); err != nil {
		return fail("description %v", err)
	}
	return a, nil
}

// requiredAndDescription splits "required:text", "optional:text" or "text".
func requiredAndDescription(s string) (required bool, description string) {
	first, rest, _ := strings.Cut(s, ":")
	switch strings.ToLower(strings.TrimSpace(first)) {
	case "required":
		return true, strings.TrimSpace(rest)
	case "optional":
		return false, strings.TrimSpace(rest)
	}
	return false, strings.TrimSpace(s)
}
