package generator

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is the shape of an answer. Everything that differs between answers
// only by their shape — how a flag or an answers file gives them, how the
// record writes them, how the wizard asks them and the summary shows them —
// follows from it, so that the table of answers holds only what is their
// own.
type Kind int

// The kinds of answers.
const (
	// KindText is one line of text: a string flag, a TOML string, a text
	// question.
	KindText Kind = iota + 1
	// KindChoice is one of Options: a string flag, a TOML string, a
	// single-choice question.
	KindChoice
	// KindMulti is any subset of Options: a comma-separated flag, a TOML
	// array of strings, a multiple-choice question.
	KindMulti
	// KindList is a free list, such as CIDRs: a comma-separated, repeatable
	// flag, a TOML array of strings, a text question with commas.
	KindList
	// KindBool is yes or no: a flag to turn it on and one to turn it off,
	// a TOML boolean, a yes/no question.
	KindBool
)

// Choice is one value of a choice or multi-choice answer.
type Choice struct {
	// Value is the value as flags, answers files and the record give it.
	Value string
	// Label is how the wizard shows the option: the value and what it means.
	Label string
}

func optionValues(opts []Choice) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out
}

// Field describes one answer for the user interfaces: the command line, the
// wizard and the messages about it.
type Field struct {
	// Key is the answers-file key, e.g. "transports".
	Key string
	// Kind is the shape of the answer's value.
	Kind Kind
	// Flag is the flag name without dashes, e.g. "transport"; empty for the
	// name, which is the NAME argument.
	Flag string
	// Usage is the flag's help in `mcpforge new --help`, its value's
	// placeholder in back quotes as pflag wants it.
	Usage string
	// NoFlag and NoUsage are, for a yes/no answer, the flag that turns it
	// off (--no-oauth) and its help.
	NoFlag, NoUsage string
	// Help says what the answer is, with an example: the list of missing
	// answers shows it.
	Help string
	// Options are the values of a choice or multi-choice answer, in
	// canonical order.
	Options []Choice
	// None is, for a multi-choice answer that may be empty, the word a flag
	// gives for the empty list ("none"); empty when no word is needed.
	None string
	// Title is the wizard's question.
	Title string
	// Group is the title of the wizard page the question is asked on: the
	// answers of one group share a page, where the first of them is asked,
	// and must apply to the same answers. Empty: a page of its own, without
	// a title.
	Group string
	// Example is a valid value other than the default (entries separated by
	// commas for a list), for help texts and for tests that must give every
	// answer a value of its own.
	Example string
}

// Completions returns the values a shell can complete the flag with: the
// options, and the word for none; nil for an answer of free text.
func (f Field) Completions() []string {
	if len(f.Options) == 0 {
		return nil
	}
	out := optionValues(f.Options)
	if f.None != "" {
		out = append(out, f.None)
	}
	return out
}

// Prompt returns the help the wizard shows under the question, for the
// answers given so far (module: "empty for example.com/weather"); empty
// when the question needs none.
func (f Field) Prompt(a Answers) string {
	if i := fieldIndex(f.Key); i >= 0 && fieldDefs[i].prompt != nil {
		return fieldDefs[i].prompt(a)
	}
	return ""
}

// requirement says that an answer applies only when another answer, before
// it in fieldDefs, holds a value (the issuer only with auth jwt-local).
type requirement struct{ key, value string }

// fieldDef is one entry of the table of answers: its Field, where its value
// lives in Answers, and what is its own: when it applies, its default, its
// canonical form, its validators, its wizard help and any special text in
// the summary. The rest derives from its Kind (see the methods below).
type fieldDef struct {
	Field
	// value returns a pointer to the answer in a: *string for text and
	// choices, *[]string for lists, **bool for yes/no.
	value func(a *Answers) any
	// only, when set, limits the answer to some answers (see requirement).
	only *requirement
	// def returns the default (string, []string or bool) for the answers
	// before it; nil when there is none (the empty value is the default).
	// It is the default for new repositories.
	def func(a Answers) any
	// absent is the value (a string, []string or bool, as Set takes it)
	// that a record lacking the answer's key stands for: the one that
	// reproduces the repository it recorded, which was generated before
	// the answer existed (observability false: no telemetry then). nil when
	// def already does that, or the answer is as old as records. Only
	// records (files with a [record] table) read it, so that an old
	// repository neither gains nor loses anything by being re-rendered
	// (mcpforge update, new --answers .mcpforge.toml); a plain answers file
	// lacking the key gets def, as new repositories do.
	absent any
	// canon puts a text answer in canonical form; choices are always
	// trimmed and lower-cased, and multi-choice lists ordered by Options.
	canon func(string) string
	// canonList puts a free list in canonical form.
	canonList func([]string) []string
	// checkText and checkList validate the canonical value: the one
	// matching the kind (none for yes/no).
	checkText func(string) error
	checkList func([]string) error
	// cross validates the answer against the other answers, once its own
	// value is valid.
	cross func(a Answers) error
	// prompt is the wizard's help under the question (see Field.Prompt).
	prompt func(a Answers) string
	// shown replaces values in the summary with words (audience "" is the
	// server's own URL).
	shown map[string]string
}

// get returns the answer: a string, a []string, or a *bool.
func (d fieldDef) get(a *Answers) any {
	switch p := d.value(a).(type) {
	case *string:
		return *p
	case *[]string:
		return *p
	case **bool:
		return *p
	}
	panic("generator: answer " + d.Key + " has no value of a known kind")
}

// set stores v (a string, a []string, a bool or *bool; nil for the zero
// value) as the answer, sharing nothing with the caller.
func (d fieldDef) set(a *Answers, v any) {
	switch p := d.value(a).(type) {
	case *string:
		s, _ := v.(string)
		*p = s
	case *[]string:
		l, _ := v.([]string)
		*p = slices.Clone(l)
	case **bool:
		*p = nil
		switch b := v.(type) {
		case bool:
			*p = &b
		case *bool:
			if b != nil {
				on := *b
				*p = &on
			}
		}
	}
}

func (d fieldDef) copy(dst, src *Answers) { d.set(dst, d.get(src)) }

func (d fieldDef) isZero(a *Answers) bool {
	switch v := d.get(a).(type) {
	case string:
		return v == ""
	case []string:
		return v == nil
	case *bool:
		return v == nil
	}
	return true
}

// wantsDefault reports whether answer i takes its default: a blank text, a
// list not given, a yes/no not given.
func (a *Answers) wantsDefault(i int) bool {
	d := fieldDefs[i]
	switch v := d.get(a).(type) {
	case string:
		return strings.TrimSpace(v) == ""
	case []string:
		return v == nil && a.given&(1<<i) == 0
	case *bool:
		return v == nil
	}
	return false
}

func (d fieldDef) appliesTo(a *Answers) bool {
	if d.only == nil {
		return true
	}
	return fieldDefs[fieldIndex(d.only.key)].get(a) == d.only.value
}

// decode turns a value as a flag, a form or a TOML decoder gives it into the
// answer's type: a string; a []string (from []string or a TOML []any); a
// bool. The error reads after the key ("oauth must be true or false, not a
// string").
func (d fieldDef) decode(v any) (any, error) {
	switch d.Kind {
	case KindText, KindChoice:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string, not %s", tomlTypeName(v))
		}
		return s, nil
	case KindMulti, KindList:
		if l, ok := v.([]string); ok {
			return slices.Clone(l), nil
		}
		var l []string
		if err := decodeStrings(&l, v); err != nil {
			return nil, err
		}
		return l, nil
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("must be true or false, not %s", tomlTypeName(v))
		}
		return b, nil
	}
	return nil, fmt.Errorf("has no kind")
}

// refuseDisguised refuses text that could disguise code in a decoded value.
func (d fieldDef) refuseDisguised(v any) error {
	switch v := v.(type) {
	case string:
		return CheckText(v)
	case []string:
		return checkTextList(v)
	}
	return nil
}

// normalize puts the answer in canonical form (see WithDefaults).
func (d fieldDef) normalize(a *Answers) {
	switch v := d.get(a).(type) {
	case string:
		switch {
		case d.Kind == KindChoice:
			d.set(a, strings.ToLower(strings.TrimSpace(v)))
		case d.canon != nil:
			d.set(a, d.canon(v))
		}
	case []string:
		switch {
		case d.Kind == KindMulti:
			d.set(a, d.canonicalMulti(v))
		case d.canonList != nil:
			d.set(a, d.canonList(v))
		}
	}
}

// canonicalMulti orders a multi-choice list as the options, unknown values
// last; the single word None means the empty list. nil stays nil.
func (d fieldDef) canonicalMulti(list []string) []string {
	if d.None != "" && len(list) == 1 && strings.EqualFold(strings.TrimSpace(list[0]), d.None) {
		return []string{}
	}
	return canonicalList(list, optionValues(d.Options))
}

// checkValue runs the answer's own validator on a canonical value.
func (d fieldDef) checkValue(v any) error {
	switch v := v.(type) {
	case string:
		if d.checkText != nil {
			return d.checkText(v)
		}
	case []string:
		if d.checkList != nil {
			return d.checkList(v)
		}
	}
	return nil
}

// validate returns the one problem of the answer in a, if any: text that
// could disguise code; a value given although the answer does not apply
// (a yes/no given as no is harmless), once the answer it depends on is
// valid; its own validator; then its validator against other answers.
func (d fieldDef) validate(a Answers) error {
	v := d.get(&a)
	if err := d.refuseDisguised(v); err != nil {
		return err
	}
	if !d.appliesTo(&a) {
		on := true
		if b, ok := v.(*bool); ok && b != nil {
			on = *b
		}
		req := fieldDefs[fieldIndex(d.only.key)]
		if !d.isZero(&a) && on && req.checkValue(req.get(&a)) == nil {
			return fmt.Errorf("is used only with %s %s; remove it or choose that %[1]s", d.only.key, d.only.value)
		}
		return nil
	}
	if err := d.checkValue(v); err != nil {
		return err
	}
	if d.cross != nil {
		return d.cross(a)
	}
	return nil
}

// final returns the answer as the record, the summary and the command line
// give it: its value, or its default when it is empty, or for a list none
// the empty list and for a yes/no none no.
func (a Answers) final(i int) any {
	d := fieldDefs[i]
	if d.isZero(&a) && d.def != nil {
		return d.def(a)
	}
	switch v := d.get(&a).(type) {
	case []string:
		if v == nil {
			return []string{}
		}
	case *bool:
		return v != nil && *v
	}
	return d.get(&a)
}

// Show returns the answer with the given key as the wizard's summary shows
// it, for answers completed by WithDefaults: lists joined with commas,
// yes/no as yes or no, and words for values that need them ("(none)").
func (a Answers) Show(key string) string {
	i := fieldIndex(key)
	if i < 0 {
		return ""
	}
	d := fieldDefs[i]
	var s string
	switch v := a.final(i).(type) {
	case string:
		s = v
	case []string:
		if len(v) == 0 {
			return "(none)"
		}
		s = strings.Join(v, ", ")
	case bool:
		s = "no"
		if v {
			s = "yes"
		}
	}
	if w, ok := d.shown[s]; ok {
		return w
	}
	return s
}

// Args returns the arguments of `mcpforge new` that give these answers,
// completed by WithDefaults: the name, then the flag of every other answer
// that applies, with its value (a list joined by commas, the word for none
// where an empty list needs one), or the flag that says yes or no.
func (a Answers) Args() []string {
	args := []string{a.Name}
	for i, d := range fieldDefs {
		if d.Flag == "" || !a.Applies(d.Key) {
			continue
		}
		switch v := a.final(i).(type) {
		case string:
			args = append(args, "--"+d.Flag, v)
		case []string:
			s := strings.Join(v, ",")
			if len(v) == 0 {
				s = d.None
			}
			args = append(args, "--"+d.Flag, s)
		case bool:
			if v {
				args = append(args, "--"+d.Flag)
			} else {
				args = append(args, "--"+d.NoFlag)
			}
		}
	}
	return args
}

// Prefill returns what the wizard shows for the answer with the given key
// before the user changes it, so that every question shows what --yes
// would take: a text answer as given (empty means its default, which may
// depend on answers not asked yet, such as the module on the name), a
// choice as given if it is one of the options, else its default, a list or
// a yes/no as given, else its default. The value is a string, a []string or
// a bool, as the kind of the answer wants.
func (a Answers) Prefill(key string) any {
	i := fieldIndex(key)
	if i < 0 {
		return nil
	}
	d := fieldDefs[i]
	if d.Kind == KindText {
		return d.get(&a)
	}
	full := a.WithDefaults()
	v := d.get(&full)
	switch d.Kind {
	case KindChoice:
		if slices.Contains(optionValues(d.Options), v.(string)) {
			return v
		}
	default:
		if a.Given(key) {
			return full.final(i)
		}
	}
	if d.def == nil {
		return full.final(i)
	}
	return d.def(full)
}

// typed turns a value as a form holds it into the answer's canonical value:
// text trimmed, a list typed as text split at commas and white space, lists
// in canonical form.
func (d fieldDef) typed(v any) any {
	s, isText := v.(string)
	switch d.Kind {
	case KindText:
		if isText {
			v = strings.TrimSpace(s)
		}
	case KindList:
		if isText {
			v = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		}
		if l, ok := v.([]string); ok && d.canonList != nil {
			v = d.canonList(l)
		}
	case KindMulti:
		if l, ok := v.([]string); ok {
			v = d.canonicalMulti(l)
		}
	}
	return v
}

// CheckInput checks a value as a form holds it — the text of a text or list
// question, the []string of a multi-choice question, the string of a
// choice — the way the wizard checks it as the user types: text that could
// disguise code is refused with its position as typed; an empty text is
// fine where it means the default; anything else must pass the answer's
// validator. Checks against other answers are left to Validate.
func CheckInput(key string, v any) error {
	i := fieldIndex(key)
	if i < 0 {
		return fmt.Errorf("unknown answer %q", key)
	}
	d := fieldDefs[i]
	if s, ok := v.(string); ok {
		if err := CheckText(s); err != nil {
			return err
		}
		if d.def != nil && strings.TrimSpace(s) == "" && d.Kind != KindList {
			return nil
		}
	}
	val, err := d.decode(d.typed(v))
	if err != nil {
		return err
	}
	return d.checkValue(val)
}

// Fill gives the answer key the value a form holds (see CheckInput), in
// canonical form, and marks it given.
func (a *Answers) Fill(key string, v any) error {
	i := fieldIndex(key)
	if i < 0 {
		return fmt.Errorf("unknown answer %q", key)
	}
	return a.setField(i, fieldDefs[i].typed(v))
}
