package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mcpforge/mcpforge/cmd/mcpforge/internal/plainterm"
	"github.com/mcpforge/mcpforge/generator"
)

// The wizard of `mcpforge new`: a huh form asking every answer the flags
// know, pre-filled with the answers given as flags or in --answers, each field
// checked as the user types by the same generator validators that judge
// flags and answers files. It only fills answers; new validates, renders and
// writes them as it does for any other input.

// Errors of the wizard; new maps them to exit codes.
var (
	// errAborted: the user pressed Ctrl-C (exit 130).
	errAborted = errors.New("interrupted; nothing was written")
	// errDeclined: the user answered no at the confirmation (exit 1).
	errDeclined = errors.New("not confirmed; nothing was written")
	// errInputEnded: the input ended before the last question (exit 1).
	errInputEnded = errors.New("the input ended before the wizard finished; nothing was written")
)

// exitInterrupted is the conventional status of a process ended by SIGINT.
const exitInterrupted = 130

// wizardOptions are the inputs of one wizard run.
type wizardOptions struct {
	in         io.Reader
	out        io.Writer
	accessible bool // huh's accessible mode: plain prompts, for screen readers
}

// accessibleFromEnv reports whether the environment asks for accessible mode:
// ACCESSIBLE (see accessibleVar), or TERM=dumb, where huh cannot draw anyway.
func accessibleFromEnv() bool {
	return accessibleVar() || os.Getenv("TERM") == "dumb"
}

// accessibleVar reports whether ACCESSIBLE asks for plain prompts (see
// plainterm.EnvAsks): a user's explicit request.
func accessibleVar() bool { return plainterm.EnvAsks(os.Getenv("ACCESSIBLE")) }

func init() { runWizard = wizard }

// wizardState holds the values the form edits, one per answer in the order
// of generator.Fields. Its fields are exported because huh recomputes
// dynamic texts when a hash of their bindings changes, and the hash sees
// exported fields only.
type wizardState struct {
	Values  []wizardValue
	Confirm bool
}

// wizardValue is one answer as its question holds it: Text for text,
// choice and list answers (a list typed with commas), List for a
// multi-choice answer, On for a yes/no answer.
type wizardValue struct {
	Text string
	List []string
	On   bool
}

// newWizardState pre-fills the form with generator.Answers.Prefill: the
// answers given, and the defaults where they show what --yes would take.
func newWizardState(a generator.Answers) *wizardState {
	fields := generator.Fields()
	st := &wizardState{Values: make([]wizardValue, len(fields)), Confirm: true}
	for i, f := range fields {
		st.prefill(i, f, a)
	}
	return st
}

// prefill sets the value of field i to what a pre-fills it with.
func (st *wizardState) prefill(i int, f generator.Field, a generator.Answers) {
	switch v := a.Prefill(f.Key).(type) {
	case string:
		st.Values[i].Text = v
	case []string:
		if f.Kind == generator.KindList {
			st.Values[i].Text = strings.Join(v, ", ")
		} else {
			st.Values[i].List = v
		}
	case bool:
		st.Values[i].On = v
	}
}

// value returns the answer of field i as generator.Answers.Fill takes it.
func (st *wizardState) value(i int, f generator.Field) any {
	switch f.Kind {
	case generator.KindMulti:
		return st.Values[i].List
	case generator.KindBool:
		return st.Values[i].On
	}
	return st.Values[i].Text
}

// answers turns the form into answers: every answer the form asked counts as
// given, and the ones that do not apply to the answers before them are
// cleared, so that a strategy changed in the wizard does not leave stale
// details behind. A value the questions would refuse keeps the answer of
// base and is reported, after the others are filled in.
func (st *wizardState) answers(base generator.Answers) (generator.Answers, error) {
	return st.answersBefore(base, len(st.Values))
}

// answersBefore is answers for the first n questions only; the others keep
// the answers of base.
func (st *wizardState) answersBefore(base generator.Answers, n int) (generator.Answers, error) {
	a := base
	var first error
	for i, f := range generator.Fields()[:n] {
		if !a.Applies(f.Key) {
			a.Clear(f.Key)
			continue
		}
		if err := a.Fill(f.Key, st.value(i, f)); err != nil && first == nil {
			first = err
		}
	}
	return a, first
}

// summary lists the answers the repository would be generated from, as the
// record file will hold them.
func (st *wizardState) summary(base generator.Answers) string {
	a, _ := st.answers(base) // the questions validated every value
	a = a.WithDefaults()
	var b strings.Builder
	for _, f := range generator.Fields() {
		if !a.Applies(f.Key) {
			continue
		}
		fmt.Fprintf(&b, "%-16s %s\n", f.Key, a.Show(f.Key))
	}
	return strings.TrimRight(b.String(), "\n")
}

// step is one page of questions and when it applies.
type step struct {
	hide  func() bool
	group func() *huh.Group
}

// form holds the wizard's questions for one run.
type form struct {
	st         *wizardState
	base       generator.Answers
	accessible bool
}

// current returns the answers as the form holds them so far.
func (f *form) current() generator.Answers {
	a, _ := f.st.answers(f.base)
	return a
}

// input builds a text question bound to *value, checked with
// generator.CheckInput as the user types: huh runs it when the user tries
// to move on and shows its error under the field, and the description
// turns into that error while the text is invalid. In accessible mode,
// where huh prints only the title and an empty line keeps the current
// value, the help and the current value go into the title.
//
// CheckInput refuses text that could disguise code first, on what was
// typed, before anything is trimmed: the position it reports is the one on
// the screen.
func (f *form) input(field generator.Field, value *string) *huh.Input {
	v := func(s string) error { return generator.CheckInput(field.Key, s) }
	help := func() string { return field.Prompt(f.current()) }
	in := huh.NewInput().Value(value)
	if f.accessible {
		cur := ""
		if *value != "" {
			cur = " [" + *value + "]"
		}
		in.Title(fmt.Sprintf("%s (%s)%s:", field.Title, help(), cur))
		current := *value
		return in.Validate(func(s string) error {
			if strings.TrimSpace(s) == "" {
				s = current // an empty line keeps the current value
			}
			return v(s)
		})
	}
	return in.Title(field.Title).
		Validate(v).
		DescriptionFunc(func() string {
			if *value != "" {
				if err := v(*value); err != nil {
					return "✗ " + err.Error()
				}
			}
			return help()
		}, f.st)
}

// question builds the question of field i, as its kind asks it.
func (f *form) question(i int, field generator.Field) huh.Field {
	v := &f.st.Values[i]
	options := func() []huh.Option[string] {
		out := make([]huh.Option[string], len(field.Options))
		for j, o := range field.Options {
			out[j] = huh.NewOption(o.Label, o.Value)
		}
		return out
	}
	help := field.Prompt(f.current())
	switch field.Kind {
	case generator.KindChoice:
		q := huh.NewSelect[string]().
			Title(field.Title).
			Options(options()...).
			Value(&v.Text).
			Validate(func(s string) error { return f.checkChoice(i, field, s) })
		if help != "" {
			q.Description(help)
		}
		return q
	case generator.KindMulti:
		desc := "space or x toggles, enter confirms"
		if help != "" {
			desc += "; " + help
		}
		return huh.NewMultiSelect[string]().
			Title(field.Title).
			Description(desc).
			Options(options()...).
			Value(&v.List).
			Validate(func(l []string) error { return f.checkChoice(i, field, l) })
	case generator.KindBool:
		return huh.NewConfirm().
			Title(field.Title).
			Description(help).
			Value(&v.On)
	}
	return f.input(field, &v.Text)
}

// checkChoice checks the choice v of field i with generator.CheckInput, and
// then against the answers before it, so that a choice Validate would
// refuse later (auth jwt-local or helm for a stdio-only server) is refused
// while it can still be changed.
func (f *form) checkChoice(i int, field generator.Field, v any) error {
	if err := generator.CheckInput(field.Key, v); err != nil {
		return err
	}
	a, _ := f.st.answersBefore(f.base, i)
	if err := a.Fill(field.Key, v); err != nil {
		return err
	}
	var ve *generator.ValidationError
	if errors.As(a.WithDefaults().Validate(), &ve) {
		for _, p := range ve.Problems {
			if p.Key == field.Key {
				return errors.New(p.Message)
			}
		}
	}
	return nil
}

// steps returns the wizard's pages: in the full-screen form, the questions
// of one group share a page under its title, where the group's first
// question is; in accessible mode every question is a page of its own,
// built when its turn comes, so that its help shows the answers typed
// before it (the module's shows the name), and an answer not given is
// pre-filled with its default for them (no helm for a stdio-only server).
// A page is hidden while its answers do not apply.
func (f *form) steps() []step {
	fields := generator.Fields()
	var steps []step
	placed := map[string]bool{}
	for i, first := range fields {
		page := []int{i}
		if !f.accessible && first.Group != "" {
			if placed[first.Group] {
				continue
			}
			placed[first.Group] = true
			for j := i + 1; j < len(fields); j++ {
				if fields[j].Group == first.Group {
					page = append(page, j)
				}
			}
		}
		steps = append(steps, step{
			hide: func() bool { return !f.current().Applies(first.Key) },
			group: func() *huh.Group {
				var qs []huh.Field
				for _, k := range page {
					if f.accessible && !f.base.Given(fields[k].Key) {
						before, _ := f.st.answersBefore(f.base, k)
						f.st.prefill(k, fields[k], before)
					}
					qs = append(qs, f.question(k, fields[k]))
				}
				g := huh.NewGroup(qs...)
				if first.Group != "" && !f.accessible {
					g.Title(first.Group)
				}
				return g
			},
		})
	}
	st := f.st
	return append(steps, step{group: func() *huh.Group {
		return huh.NewGroup(
			huh.NewNote().
				Title("Summary").
				Description(st.summary(f.base)).
				DescriptionFunc(func() string { return st.summary(f.base) }, st),
			huh.NewConfirm().
				Title("Generate the repository?").
				Affirmative("Yes").
				Negative("No").
				Value(&st.Confirm),
		)
	}})
}

// wizard asks every answer on the terminal and returns them, marked as
// given. It returns errAborted on Ctrl-C, errDeclined when the user does not
// confirm, and errInputEnded when the input ends first.
func wizard(ctx context.Context, a generator.Answers, o wizardOptions) (generator.Answers, error) {
	f := &form{st: newWizardState(a), base: a, accessible: o.accessible}
	var err error
	if o.accessible {
		err = f.runAccessible(ctx, o.in, o.out)
	} else {
		err = f.runTUI(ctx, o.in, o.out)
	}
	if err != nil {
		return generator.Answers{}, err
	}
	if !f.st.Confirm {
		return generator.Answers{}, errDeclined
	}
	return f.st.answers(a)
}

// runTUI runs every step in one full-screen form; steps that do not apply
// are hidden as the answers change, and shift+tab goes back.
func (f *form) runTUI(ctx context.Context, in io.Reader, out io.Writer) error {
	var groups []*huh.Group
	for _, s := range f.steps() {
		g := s.group()
		if s.hide != nil {
			g = g.WithHideFunc(s.hide)
		}
		groups = append(groups, g)
	}
	err := huh.NewForm(groups...).WithInput(in).WithOutput(out).RunWithContext(ctx)
	switch {
	case errors.Is(err, huh.ErrUserAborted) || ctx.Err() != nil:
		return errAborted
	case err != nil:
		return fmt.Errorf("wizard: %w; pass --accessible for plain prompts, or give the answers as flags with --yes", err)
	}
	return nil
}

// runAccessible runs the steps one at a time in huh's accessible mode, which
// prints plain prompts and reads lines, from a terminal or a pipe alike.
// huh's accessible mode ignores hidden groups, so each step is its own form,
// built when its turn comes (its texts then show the answers given so far).
// Reading happens in a goroutine so that Ctrl-C (a cancelled ctx) ends the
// wizard even while a read blocks.
func (f *form) runAccessible(ctx context.Context, in io.Reader, out io.Writer) error {
	plainText(out)
	input := &lineInput{r: in}
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }() // also runs when lineInput ends the goroutine at EOF
		for _, s := range f.steps() {
			if s.hide != nil && s.hide() {
				continue
			}
			if err = huh.NewForm(s.group()).WithAccessible(true).WithInput(input).WithOutput(out).Run(); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-done:
		switch {
		case input.ended.Load():
			return errInputEnded
		case err != nil:
			return fmt.Errorf("wizard: %w", err)
		}
		return nil
	case <-ctx.Done():
		return errAborted
	}
}

// plainText makes every lipgloss style (huh's prompts are styled through
// lipgloss's default renderer) render plain text to out. On a terminal that
// renderer would colour the prompts and, to choose the colours, ask the
// terminal for its background (OSC 11 and a cursor position report), then
// wait for an answer that a screen reader's terminal or a script may never
// send, reading the user's typed answers meanwhile. Accessible mode needs no
// colour: with the colourless profile and the background stated, lipgloss
// writes no escape sequence and asks nothing. The renderer is global; only
// the wizard renders, so it is set for the rest of the process.
func plainText(out io.Writer) {
	r := lipgloss.NewRenderer(out, termenv.WithProfile(termenv.Ascii))
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	lipgloss.SetDefaultRenderer(r)
}

// lineInput feeds huh's accessible prompts. Each of them reads through a new
// bufio.Scanner, so a reader handing out more than one byte at a time would
// let the first prompt swallow the answers to the next ones: lineInput reads
// one byte per call. At the end of the input huh would repeat a prompt
// forever (it cannot report EOF), so lineInput ends the reading goroutine
// instead, and the wizard reports errInputEnded.
type lineInput struct {
	r     io.Reader
	ended atomic.Bool
}

func (l *lineInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := l.r.Read(p[:1])
		if n > 0 {
			return n, nil
		}
		if err != nil {
			l.ended.Store(true)
			runtime.Goexit()
		}
	}
}

// equivalentCommand is the command line that generates the same repository
// without the wizard: every answer that applies as a flag, shell-quoted.
func equivalentCommand(a generator.Answers, o *newOptions) string {
	parts := []string{"mcpforge", "new"}
	for _, arg := range a.Args() {
		parts = append(parts, shellQuote(arg))
	}
	if o.dir != "" {
		parts = append(parts, "--dir", shellQuote(o.dir))
	}
	for _, b := range []struct {
		on   bool
		name string
	}{{o.force, "force"}, {o.noTidy, "no-tidy"}, {o.noGit, "no-git"}} {
		if b.on {
			parts = append(parts, "--"+b.name)
		}
	}
	return strings.Join(append(parts, "--yes"), " ")
}
