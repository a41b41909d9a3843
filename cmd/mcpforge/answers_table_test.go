package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/mcpforge/mcpforge/generator"
)

// roundTrip is one answer of the table given a value of its own: base holds
// the answers it needs to apply (auth jwt-local for the issuer), given as
// args and as the pairs of an answers file; want is base with the answer
// set to value.
type roundTrip struct {
	field generator.Field
	value any // string, []string or bool, as generator.Answers.Set takes it
	base  generator.Answers
	args  []string
	file  map[string]any
	want  generator.Answers
}

// newRoundTrip finds answers under which field applies, trying every option
// of every choice answer, and a value for it other than its default: its
// Example, the last other option, the options plus the first one left out
// (or less the last one when all are in), the other of yes and no.
func newRoundTrip(t *testing.T, field generator.Field) roundTrip {
	t.Helper()
	const name = "roundtrip"
	rt := roundTrip{field: field, args: []string{name}, file: map[string]any{generator.KeyName: name}}
	if err := rt.base.Set(generator.KeyName, name); err != nil {
		t.Fatal(err)
	}
	if !rt.base.Applies(field.Key) {
	search:
		for _, c := range generator.Fields() {
			if c.Kind != generator.KindChoice || c.Key == field.Key {
				continue
			}
			for _, o := range c.Options {
				b := rt.base
				if err := b.Set(c.Key, o.Value); err != nil {
					t.Fatal(err)
				}
				if b.Applies(field.Key) {
					rt.base = b
					rt.args = append(rt.args, "--"+c.Flag, o.Value)
					rt.file[c.Key] = o.Value
					break search
				}
			}
		}
		if !rt.base.Applies(field.Key) {
			t.Fatalf("no choice of another answer makes %s apply", field.Key)
		}
	}
	def := rt.base.Prefill(field.Key)
	switch field.Kind {
	case generator.KindText:
		rt.value = field.Example
	case generator.KindList:
		var list []string
		for _, s := range strings.Split(field.Example, ",") {
			list = append(list, strings.TrimSpace(s))
		}
		rt.value = list
	case generator.KindChoice:
		for _, o := range field.Options {
			if o.Value != def {
				rt.value = o.Value
			}
		}
	case generator.KindMulti:
		list := def.([]string)
		for _, o := range field.Options {
			if !slices.Contains(list, o.Value) {
				rt.value = append(slices.Clone(list), o.Value)
				break
			}
		}
		if rt.value == nil {
			rt.value = list[:len(list)-1]
		}
	case generator.KindBool:
		rt.value = !def.(bool)
	}
	if rt.value == nil || rt.value == "" || fmt.Sprint(rt.value) == fmt.Sprint(def) {
		t.Fatalf("%s: no value other than the default %v; give it an Example", field.Key, def)
	}
	rt.want = rt.base
	if err := rt.want.Set(field.Key, rt.value); err != nil {
		t.Fatal(err)
	}
	rt.want = rt.want.WithDefaults()
	if err := rt.want.Validate(); err != nil {
		t.Fatalf("%s = %v does not validate: %v", field.Key, rt.value, err)
	}
	return rt
}

// check compares got, completed by WithDefaults, with want through the
// record both write, which holds every answer that applies.
func (rt roundTrip) check(t *testing.T, path string, got generator.Answers) {
	t.Helper()
	want := generator.Record{Answers: rt.want}.Encode()
	if enc := (generator.Record{Answers: got.WithDefaults()}).Encode(); !bytes.Equal(enc, want) {
		t.Errorf("%s = %v through %s gives other answers:\n%s\nwant:\n%s", rt.field.Key, rt.value, path, enc, want)
	}
}

// flagArgs are the arguments of the flag that gives the value.
func (rt roundTrip) flagArgs() []string {
	switch v := rt.value.(type) {
	case []string:
		return []string{"--" + rt.field.Flag, strings.Join(v, ",")}
	case bool:
		if v {
			return []string{"--" + rt.field.Flag}
		}
		return []string{"--" + rt.field.NoFlag}
	}
	return []string{"--" + rt.field.Flag, rt.value.(string)}
}

// wizardLines answers every question of the accessible wizard for answers
// given as base: the one under test with its value, every other one with
// what the wizard pre-fills (an empty line, or 0 to leave a multiple
// choice as it is), then yes to generate.
func (rt roundTrip) wizardLines(t *testing.T) []string {
	t.Helper()
	var lines []string
	for _, f := range generator.Fields() {
		if !rt.want.Applies(f.Key) {
			continue
		}
		if f.Key != rt.field.Key {
			if f.Kind == generator.KindMulti {
				lines = append(lines, "0")
			} else {
				lines = append(lines, "")
			}
			continue
		}
		switch f.Kind {
		case generator.KindText:
			lines = append(lines, rt.value.(string))
		case generator.KindList:
			lines = append(lines, strings.Join(rt.value.([]string), ", "))
		case generator.KindChoice:
			i := slices.IndexFunc(f.Options, func(o generator.Choice) bool { return o.Value == rt.value })
			lines = append(lines, strconv.Itoa(i+1))
		case generator.KindMulti:
			// Toggle every option whose state differs from the pre-filled one.
			pre := rt.base.Prefill(f.Key).([]string)
			for i, o := range f.Options {
				if slices.Contains(pre, o.Value) != slices.Contains(rt.value.([]string), o.Value) {
					lines = append(lines, strconv.Itoa(i+1))
				}
			}
			lines = append(lines, "0")
		case generator.KindBool:
			lines = append(lines, map[bool]string{true: "y", false: "n"}[rt.value.(bool)])
		}
	}
	return append(lines, "y")
}

// TestEveryAnswerRoundTrips gives every answer of generator.Fields a value
// of its own and checks that each way in and out keeps it: flags, an
// answers file, the record, the equivalent command line parsed back with
// the flags of new, and the accessible wizard, whose summary shows it. It
// iterates the table, so a new answer is covered without a line here.
func TestEveryAnswerRoundTrips(t *testing.T) {
	for _, field := range generator.Fields() {
		t.Run(field.Key, func(t *testing.T) {
			rt := newRoundTrip(t, field)

			t.Run("flags", func(t *testing.T) {
				args := rt.args
				if field.Flag == "" {
					args = append([]string{rt.value.(string)}, args[1:]...)
				} else {
					args = append(slices.Clone(args), rt.flagArgs()...)
				}
				cmd := newNewCmd()
				if err := cmd.ParseFlags(args); err != nil {
					t.Fatalf("%q: %v", args, err)
				}
				got, err := answersFromFlags(cmd.Flags(), cmd.Flags().Args())
				if err != nil {
					t.Fatalf("%q: %v", args, err)
				}
				if !got.Given(field.Key) {
					t.Errorf("%q: %s not given", args, field.Key)
				}
				rt.check(t, strings.Join(args, " "), got)
			})

			if field.Kind == generator.KindBool {
				t.Run("both flags", func(t *testing.T) {
					cmd := newNewCmd()
					if err := cmd.ParseFlags([]string{"x", "--" + field.Flag, "--" + field.NoFlag}); err != nil {
						t.Fatal(err)
					}
					want := fmt.Sprintf("--%s and --%s exclude each other; give one", field.Flag, field.NoFlag)
					if _, err := answersFromFlags(cmd.Flags(), cmd.Flags().Args()); err == nil || err.Error() != want {
						t.Errorf("both flags: %v, want %q", err, want)
					}
				})
			}

			t.Run("answers file", func(t *testing.T) {
				pairs := map[string]any{field.Key: rt.value}
				for k, v := range rt.file {
					if k != field.Key {
						pairs[k] = v
					}
				}
				var b bytes.Buffer
				if err := toml.NewEncoder(&b).Encode(pairs); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), "answers.toml")
				if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				got, err := generator.LoadAnswers(p)
				if err != nil {
					t.Fatalf("%s\n%v", b.String(), err)
				}
				rt.check(t, "the answers file\n"+b.String(), got)
			})

			t.Run("record", func(t *testing.T) {
				data := generator.Record{Answers: rt.want}.Encode()
				rec, err := generator.ParseRecord(generator.RecordFile, data)
				if err != nil {
					t.Fatalf("%s\n%v", data, err)
				}
				rt.check(t, "the record", rec.Answers)
			})

			t.Run("equivalent command", func(t *testing.T) {
				line := equivalentCommand(rt.want, &newOptions{})
				words := shellWords(t, line)
				cmd := newNewCmd()
				if err := cmd.ParseFlags(words[2:]); err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				got, err := answersFromFlags(cmd.Flags(), cmd.Flags().Args())
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				if m := got.Missing(); len(m) != 0 {
					t.Errorf("%s leaves answers missing: %v", line, m)
				}
				rt.check(t, line, got)
			})

			t.Run("wizard", func(t *testing.T) {
				lines := rt.wizardLines(t)
				var out bytes.Buffer
				got, err := wizard(context.Background(), rt.base, wizardOptions{accessible: true, out: &out, in: typed(lines...)})
				if err != nil {
					t.Fatalf("typed %q: %v\n%s", lines, err, out.String())
				}
				rt.check(t, fmt.Sprintf("the wizard (typed %q)", lines), got)
				shown := fmt.Sprintf("%-16s %s", field.Key, rt.want.Show(field.Key))
				if !strings.Contains(out.String(), shown) {
					t.Errorf("the summary lacks %q:\n%s", shown, out.String())
				}
			})
		})
	}
}

// TestMissingAnswersNameEveryFlag checks that the list of missing answers
// and the validation messages name every answer by the flag that gives it.
func TestMissingAnswersNameEveryFlag(t *testing.T) {
	err := missingAnswersError(generator.Fields(), false)
	for _, f := range generator.Fields() {
		want := "NAME"
		if f.Flag != "" {
			want = "--" + f.Flag
		}
		if f.NoFlag != "" {
			want += " / --" + f.NoFlag
		}
		if !strings.Contains(err.Error(), "  "+want+" ") || !strings.Contains(err.Error(), "("+f.Help+")") {
			t.Errorf("the missing answers lack %s (%s):\n%v", want, f.Help, err)
		}
	}
}

// keystrokes returns the lines that answer the accessible wizard, for
// answers given as given: for each question that applies, in the order of
// generator.Fields, the lines of typed[key], or else the line that keeps
// what is pre-filled (empty, or 0 to leave a multiple choice as it is);
// then confirm. Whether a question applies follows the choices typed
// before it (the last line typed for a choice is its number).
func keystrokes(t *testing.T, given generator.Answers, typed map[string][]string, confirm string) []string {
	t.Helper()
	lines, err := wizardKeystrokes(given, typed, confirm)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// wizardKeystrokes is keystrokes, for callers without a *testing.T.
func wizardKeystrokes(given generator.Answers, typed map[string][]string, confirm string) ([]string, error) {
	a := given
	var lines []string
	for _, f := range generator.Fields() {
		if !a.Applies(f.Key) {
			continue
		}
		in, ok := typed[f.Key]
		switch {
		case !ok && f.Kind == generator.KindMulti:
			in = []string{"0"}
		case !ok:
			in = []string{""}
		case f.Kind == generator.KindChoice:
			n, err := strconv.Atoi(in[len(in)-1])
			if err != nil || n < 1 || n > len(f.Options) {
				return nil, fmt.Errorf("%s: the last line %q is no option's number", f.Key, in[len(in)-1])
			}
			if err := a.Set(f.Key, f.Options[n-1].Value); err != nil {
				return nil, err
			}
		}
		lines = append(lines, in...)
	}
	return append(lines, confirm), nil
}

// TestWizardChoicesFollowEarlierAnswers: in the accessible wizard a choice
// that Validate would refuse with the answers before it is refused on its
// own question, and an answer not given is pre-filled with its default for
// the answers typed before it: a stdio-only server gets no helm chart and
// cannot choose jwt-local.
func TestWizardChoicesFollowEarlierAnswers(t *testing.T) {
	given := generator.Answers{}
	if err := given.Set(generator.KeyName, "solo"); err != nil {
		t.Fatal(err)
	}
	lines := keystrokes(t, given, map[string][]string{
		generator.KeyTransports: {"2", "0"}, // http off: stdio only
		generator.KeyAuth:       {"2", "1"}, // jwt-local: refused; none
	}, "y")
	var out bytes.Buffer
	a, err := wizard(context.Background(), given, wizardOptions{accessible: true, out: &out, in: typed(lines...)})
	if err != nil {
		t.Fatalf("typed %q: %v\n%s", lines, err, out.String())
	}
	if want := "jwt-local authenticates HTTP requests, but the transports are only stdio"; !strings.Contains(out.String(), want) {
		t.Errorf("jwt-local on a stdio-only server was not refused with %q:\n%s", want, out.String())
	}
	a = a.WithDefaults()
	if !slices.Equal(a.Transports, []string{generator.TransportStdio}) || a.Auth != generator.AuthNone ||
		slices.Contains(a.Deploy, generator.DeployHelm) || len(a.Deploy) == 0 {
		t.Errorf("answers = %+v", a)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("the wizard's answers do not validate: %v", err)
	}
}
