package generator

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// refusedChars lists, independently of disguisingChars, every character the
// issue requires refused, so that a character dropped from the table fails
// here.
var refusedChars = []rune{
	0x061C,         // ARABIC LETTER MARK
	0x200E, 0x200F, // LRM, RLM
	0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // LRE, RLE, PDF, LRO, RLO
	0x2066, 0x2067, 0x2068, 0x2069, // LRI, RLI, FSI, PDI
	0x200B, 0x2060, 0xFEFF, // ZWSP, WJ, BOM
}

// wantRefusal checks that err reports character pos as r, in the message
// shape every input path shares, without the character itself.
func wantRefusal(t *testing.T, err error, where string, r rune) {
	t.Helper()
	want := fmt.Sprintf("%s is U+%04X (", where, r)
	if err == nil {
		t.Fatalf("accepted U+%04X, want an error containing %q", r, want)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || !strings.Contains(msg, "an invisible or bidirectional control character that can disguise code; remove it") {
		t.Errorf("error %q, want it to contain %q and say why and what to do", msg, want)
	}
	if strings.ContainsRune(msg, r) {
		t.Errorf("error %q holds the character itself", msg)
	}
}

func TestCheckTextRefusesEveryListedCharacter(t *testing.T) {
	for _, r := range refusedChars {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			wantRefusal(t, CheckText(string(r)), "character 1", r)
			// Positions count runes: "é" is 2 bytes, "🌤" 4, "日" 3, so a
			// count of bytes would say 11 here.
			wantRefusal(t, CheckText("é🌤日a"+string(r)+"b"), "character 5", r)
			// The first one is reported.
			wantRefusal(t, CheckText("ab"+string(r)+"\u202e"), "character 3", r)
		})
	}
	if len(disguisingChars) != len(refusedChars) {
		t.Errorf("disguisingChars has %d characters, the issue lists %d", len(disguisingChars), len(refusedChars))
	}
}

func TestCheckTextMessage(t *testing.T) {
	err := CheckText("safe \u202e gnp.exe")
	want := "character 6 is U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible or bidirectional control character that can disguise code; remove it"
	if err == nil || err.Error() != want {
		t.Errorf("CheckText = %v, want %q", err, want)
	}
}

func TestCheckTextAllows(t *testing.T) {
	for _, s := range []string{
		"",
		"Weather forecasts for MCP clients",
		"👩\u200d💻 for developers",      // U+200D ZERO WIDTH JOINER builds emoji
		"می\u200cخواهم",                // U+200C ZERO WIDTH NON-JOINER spells Persian
		"مرحبا بالعالم",                // right-to-left text itself is fine
		"日本語の天気",                       // multi-byte text
		"a\u2065b\u206ac\u202fd\u2061", // neighbours of the listed ranges
	} {
		if err := CheckText(s); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", s, err)
		}
	}
}

func TestCheckTextList(t *testing.T) {
	wantRefusal(t, checkTextList([]string{"stdio", "ht\u200btp"}), "character 3 of entry 2", 0x200B)
	if err := checkTextList([]string{"stdio", "http"}); err != nil {
		t.Errorf("checkTextList = %v", err)
	}
}

// textAnswers sets a refused character into every text answer, as the
// value given; pos is its 1-based position there.
var textAnswers = []struct {
	key   string
	value any
	where string
}{
	{KeyName, "wea\u202ether", "character 4"},
	{KeyModule, "example.com/\u2066x", "character 13"},
	{KeyDescription, "safe \u202e gnp.exe", "character 6"},
	{KeyTransports, []string{"stdio", "\ufeffhttp"}, "character 1 of entry 2"},
	{KeyAuth, " \u200fnone", "character 2"}, // before WithDefaults trims it
	{KeyIssuer, "https://id.example.com/\u200e", "character 24"},
	{KeyAudience, "api\u2060", "character 4"},
	{KeyJWKSURI, "https://id.example.com/certs\u061c", "character 29"},
	{KeyProxyHeader, "x-jwt\u200b", "character 6"},
	{KeyTrustedProxies, []string{"10.0.0.0/8\u2069"}, "character 11 of entry 1"},
	{KeyDeploy, []string{"docker", "ci", "\u202ahelm"}, "character 1 of entry 3"},
	{KeyLicense, "mit\u202d", "character 4"},
}

func TestTextAnswersCoverEveryTextAnswer(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range textAnswers {
		covered[c.key] = true
	}
	for _, f := range Fields() {
		if f.Kind != KindBool && !covered[f.Key] {
			t.Errorf("answer %s has no case in textAnswers", f.Key)
		}
	}
}

func TestSetRefusesDisguisingText(t *testing.T) {
	for _, c := range textAnswers {
		t.Run(c.key, func(t *testing.T) {
			a := Answers{Name: "weather"}
			a.MarkGiven(KeyName)
			before := a
			err := a.Set(c.key, c.value)
			wantRefusal(t, err, c.where, disguisingIn(c.value))
			if !strings.HasPrefix(err.Error(), c.key+": ") {
				t.Errorf("error %q does not start with the answer %q", err, c.key)
			}
			if a.Given(c.key) && !before.Given(c.key) {
				t.Errorf("a refused %s counts as given", c.key)
			}
			if a.Name != before.Name || a.Description != "" || a.Transports != nil || a.Deploy != nil {
				t.Errorf("a refused value was stored: %+v", a)
			}
		})
	}
}

func TestLoadAnswersRefusesDisguisingText(t *testing.T) {
	for _, c := range textAnswers {
		t.Run(c.key, func(t *testing.T) {
			p := writeTemp(t, "answers.toml", "# a comment\n\n"+c.key+" = "+tomlEscaped(c.value)+"\n")
			_, err := LoadAnswers(p)
			var fe *AnswersFileError
			if !errors.As(err, &fe) || fe.Line != 3 || fe.Key != c.key || !IsUsage(err) {
				t.Fatalf("LoadAnswers = %v, want an *AnswersFileError at line 3 for %s", err, c.key)
			}
			wantRefusal(t, err, c.where, disguisingIn(c.value))
			if prefix := p + ":3: " + c.key + ": "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

// TestValidateRefusesDisguisingText covers answers that reach Validate
// without Set or a file, as the wizard's and Go callers' do: the answer gets
// that one problem, and Render refuses too.
func TestValidateRefusesDisguisingText(t *testing.T) {
	for _, c := range textAnswers {
		t.Run(c.key, func(t *testing.T) {
			a := Answers{Name: "weather", Auth: AuthJWTLocal}
			switch c.key {
			case KeyProxyHeader, KeyTrustedProxies:
				a.Auth = AuthJWTExternal
			}
			a = a.WithDefaults()
			d := fieldDefs[fieldIndex(c.key)]
			v, err := d.decode(toAny(c.value))
			if err != nil {
				t.Fatal(err)
			}
			d.set(&a, v)
			err = a.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			var mine []Problem
			for _, p := range ve.Problems {
				if p.Key == c.key {
					mine = append(mine, p)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("problems of %s = %+v, want exactly the one about the character", c.key, mine)
			}
			wantRefusal(t, errors.New(mine[0].Message), c.where, disguisingIn(c.value))
			if _, err := Render(a); err == nil {
				t.Error("Render accepted it")
			}
		})
	}
}

func TestAddSpecsRefuseDisguisingText(t *testing.T) {
	const rlo = '\u202e'
	for _, c := range []struct {
		name  string
		err   error
		what  string // the SpecError's What
		where string
	}{
		{"tool name", ToolSpec{Name: "for\u202ecast"}.validate(), `tool name "for\u202ecast"`, "character 4"},
		{"tool description", ToolSpec{Name: "x", Description: "Get the \u202e forecast"}.validate(), "--description", "character 9"},
		{"tool argument name", ToolSpec{Name: "x", Args: []ToolArg{{Name: "ci\u202ety", Type: ArgString}}}.validate(), `argument "ci\u202ety"`, "character 3"},
		{"tool argument description", ToolSpec{Name: "x", Args: []ToolArg{{Name: "city", Type: ArgString, Description: "é\u202e"}}}.validate(), `description of argument "city"`, "character 2"},
		{"tool scope", ToolSpec{Name: "x", Scopes: []string{"notes:read", "notes\u202e:write"}}.validate(), "--scope", "character 6"},
		{"prompt name", PromptSpec{Name: "\u202esummarize"}.validate(), `prompt name "\u202esummarize"`, "character 1"},
		{"prompt description", PromptSpec{Name: "x", Description: "日本\u202e"}.validate(), "--description", "character 3"},
		{"prompt argument description", PromptSpec{Name: "x", Args: []PromptArg{{Name: "topic", Description: "a\u202e"}}}.validate(), `description of argument "topic"`, "character 2"},
		{"resource URI", ResourceSpec{URI: "docs://read\u202eme"}.validate(), "resource URI", "character 12"},
		{"resource name", ResourceSpec{URI: "docs://readme", Name: "read\u202eme"}.validate(), `--name "read\u202eme"`, "character 5"},
		{"resource description", ResourceSpec{URI: "docs://readme", Description: "the \u202e readme"}.validate(), "--description", "character 5"},
		{"resource MIME type", ResourceSpec{URI: "docs://readme", MIMEType: "text/plain\u202e"}.validate(), "--mime", "character 11"},
		{"tool --arg", errOf(ParseToolArg("city:string:required:The \u202e city")), `--arg "city:string:required:The \u202e city"`, "character 26"},
		{"prompt --arg", errOf(ParsePromptArg("topic:required:日本\u202e")), `--arg "topic:required:日本\u202e"`, "character 18"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var se *SpecError
			if !errors.As(c.err, &se) || !IsUsage(c.err) {
				t.Fatalf("err = %v, want a *SpecError", c.err)
			}
			if se.What != c.what {
				t.Errorf("What = %s, want %s", se.What, c.what)
			}
			wantRefusal(t, se.Err, c.where, rlo)
			// The value is quoted in What, so the message shows the
			// character escaped, never raw.
			if strings.ContainsRune(c.err.Error(), rlo) {
				t.Errorf("message %q holds the raw character", c.err)
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

// disguisingIn returns the refused character a test value holds.
func disguisingIn(v any) rune {
	var all []string
	switch v := v.(type) {
	case string:
		all = []string{v}
	case []string:
		all = v
	}
	for _, s := range all {
		if _, r, ok := findDisguising(s); ok {
			return r
		}
	}
	panic(fmt.Sprintf("no refused character in %q", v))
}

// toAny turns a []string into what decode takes, as Set does.
func toAny(v any) any {
	list, ok := v.([]string)
	if !ok {
		return v
	}
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// tomlEscaped writes v as a TOML string or array, the characters escaped as
// \uXXXX, which TOML decodes back into them.
func tomlEscaped(v any) string {
	q := func(s string) string {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			if r < 0x80 && r != '"' && r != '\\' {
				b.WriteRune(r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	switch v := v.(type) {
	case string:
		return q(v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = q(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	panic(fmt.Sprintf("no TOML for %T", v))
}
