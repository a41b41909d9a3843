package generator

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestFieldDefsAreConsistent checks what the table of answers promises to
// the code deriving from it: each entry's value is of its kind, choices have
// options, yes/no answers a flag each way, flags and keys are unique, an
// answer depends only on a choice asked before it, the answers of a wizard
// page apply together, every entry has the texts the interfaces show, and
// an absent value is a valid value of the answer.
func TestFieldDefsAreConsistent(t *testing.T) {
	if len(fieldDefs) > 64 {
		t.Fatalf("%d answers; Answers.given has 64 bits", len(fieldDefs))
	}
	keys, flags := map[string]bool{}, map[string]bool{}
	groups := map[string]*requirement{}
	for i, d := range fieldDefs {
		t.Run(d.Key, func(t *testing.T) {
			var a Answers
			wantKind := map[string][]Kind{
				"*string": {KindText, KindChoice}, "*[]string": {KindMulti, KindList}, "**bool": {KindBool},
			}[fmt.Sprintf("%T", d.value(&a))]
			if !slices.Contains(wantKind, d.Kind) {
				t.Errorf("kind %d does not fit a value of type %T", d.Kind, d.value(&a))
			}
			choice := d.Kind == KindChoice || d.Kind == KindMulti
			if choice != (len(d.Options) > 0) {
				t.Errorf("kind %d with %d options", d.Kind, len(d.Options))
			}
			if d.None != "" && d.Kind != KindMulti {
				t.Error("a word for none on an answer that is no multiple choice")
			}
			if (d.Kind == KindBool) != (d.NoFlag != "") || (d.NoFlag != "") != (d.NoUsage != "") {
				t.Errorf("kind %d with no-flag %q and its usage %q", d.Kind, d.NoFlag, d.NoUsage)
			}
			if d.Kind == KindBool && d.def == nil {
				t.Error("a yes/no answer needs a default")
			}
			if (d.Kind == KindText || d.Kind == KindList) && d.Example == "" {
				t.Error("no Example: tests cannot give it a value of its own")
			}
			if d.Example != "" {
				if err := CheckInput(d.Key, d.Example); err != nil {
					t.Errorf("Example %q: %v", d.Example, err)
				}
			}
			if d.def != nil {
				if v := d.def(Defaults("w")); fmt.Sprintf("%T", v) != strings.TrimPrefix(fmt.Sprintf("%T", d.get(&a)), "*") {
					t.Errorf("default %#v does not fit a value of type %T", v, d.get(&a))
				}
			}
			if d.absent != nil {
				// Records are read with it as it is, without decoding.
				v, err := d.decode(d.absent)
				if err == nil {
					err = d.checkValue(v)
				}
				if err != nil {
					t.Errorf("absent value %#v: %v", d.absent, err)
				}
			}
			if keys[d.Key] {
				t.Error("key given twice")
			}
			keys[d.Key] = true
			for _, f := range []string{d.Flag, d.NoFlag} {
				if f != "" && flags[f] {
					t.Errorf("flag --%s given twice", f)
				}
				flags[f] = true
			}
			if (d.Flag == "") != (d.Key == KeyName) || (d.Flag != "") != (d.Usage != "") {
				t.Errorf("flag %q with usage %q: every answer but the NAME argument has a flag and its usage", d.Flag, d.Usage)
			}
			if d.Help == "" || d.Title == "" {
				t.Errorf("help %q, wizard title %q: both are needed", d.Help, d.Title)
			}
			if d.only != nil {
				j := fieldIndex(d.only.key)
				if j < 0 || j >= i || fieldDefs[j].Kind != KindChoice || !slices.Contains(optionValues(fieldDefs[j].Options), d.only.value) {
					t.Errorf("applies with %s %s, which is no option of a choice asked before it", d.only.key, d.only.value)
				}
			}
			if d.Group != "" {
				if r, seen := groups[d.Group]; seen && fmt.Sprint(r) != fmt.Sprint(d.only) {
					t.Errorf("page %q holds answers that apply to other answers", d.Group)
				}
				groups[d.Group] = d.only
			}
		})
	}
}

// TestREADMEListsEveryAnswer checks the options table of README.md against
// the table of answers: every answer has a row naming its flags (NAME for
// the name) and its answers-file key, so the README cannot drift silently.
func TestREADMEListsEveryAnswer(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 3 && strings.HasPrefix(line, "| `") {
			rows = append(rows, cells[1:])
		}
	}
	for _, f := range Fields() {
		flags := []string{"`NAME`"}
		if f.Flag != "" {
			flags = []string{"`--" + f.Flag}
		}
		if f.NoFlag != "" {
			flags = append(flags, "`--"+f.NoFlag)
		}
		found := slices.ContainsFunc(rows, func(cells []string) bool {
			if strings.TrimSpace(cells[1]) != "`"+f.Key+"`" {
				return false
			}
			for _, fl := range flags {
				if !strings.Contains(cells[0], fl) {
					return false
				}
			}
			return true
		})
		if !found {
			t.Errorf("README.md's options table has no row naming %s`, then the key `%s`", strings.Join(flags, "`, "), f.Key)
		}
	}
}

// TestWithDefaultsIsIdempotent: completing complete answers changes nothing,
// so the record, the summary and the command line, which read completed
// answers, agree with what Render used.
func TestWithDefaultsIsIdempotent(t *testing.T) {
	for _, a := range []Answers{
		Defaults("w"),
		{Name: " w ", Auth: "JWT-Local", Transports: []string{"SSE"}},
		{Name: "w", Auth: AuthJWTExternal, ProxyHeader: "X-Claims", TrustedProxies: []string{"10.1.2.3", "10.0.0.0/8"}},
		{Name: "w", Transports: []string{TransportStdio}, Deploy: []string{"none"}, License: " MIT"},
	} {
		once := a.WithDefaults()
		twice := once.WithDefaults()
		if !reflect.DeepEqual(once, twice) {
			t.Errorf("WithDefaults of %+v:\nonce  %+v\ntwice %+v", a, once, twice)
		}
	}
}

// TestPrefillNeedsNoOtherAnswers: the wizard pre-fills the answers of a
// strategy not chosen yet with their defaults, from the answers as given.
func TestPrefillNeedsNoOtherAnswers(t *testing.T) {
	var a Answers
	if got := a.Prefill(KeyTrustedProxies); !slices.Equal(got.([]string), defaultTrustedProxies) {
		t.Errorf("trusted proxies pre-filled with %v", got)
	}
	if got := a.Prefill(KeyOAuth); got != true {
		t.Errorf("oauth pre-filled with %v", got)
	}
	if got := a.Prefill(KeyAuth); got != AuthNone {
		t.Errorf("auth pre-filled with %v", got)
	}
	a.Auth, a.License = "bogus", "MIT"
	if got := a.Prefill(KeyAuth); got != AuthNone {
		t.Errorf("unknown auth pre-filled with %v, want the default", got)
	}
	if got := a.Prefill(KeyLicense); got != LicenseMIT {
		t.Errorf("license MIT pre-filled with %v", got)
	}
	if got := a.Prefill(KeyModule); got != "" {
		t.Errorf("module pre-filled with %v; empty means the default, which depends on the name", got)
	}
	a = Answers{Transports: []string{TransportStdio}}
	if got := a.Prefill(KeyDeploy); slices.Contains(got.([]string), DeployHelm) {
		t.Errorf("deploy of a stdio-only server pre-filled with %v", got)
	}
}
