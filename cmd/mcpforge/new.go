package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpforge/mcpforge/generator"
)

// runWizard asks the user every missing answer, with the given answers
// pre-filled, and returns the completed answers: a form on a terminal, or
// plain prompts read line by line in accessible mode, terminal or not
// (wizard.go sets it; tests replace it). When it is nil, `new` lists the
// missing answers with their flags instead. The wizard only fills answers:
// validation, rendering and writing stay here.
var runWizard func(ctx context.Context, a generator.Answers, o wizardOptions) (generator.Answers, error)

// stdinIsTerminal reports whether r is an interactive terminal. Tests replace
// it to exercise the terminal path without one.
var stdinIsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// newOptions are the flags of `mcpforge new` that are not answers.
type newOptions struct {
	answersFile string
	dir         string
	yes         bool
	dryRun      bool
	force       bool
	noTidy      bool
	noGit       bool
	accessible  bool
}

func newNewCmd() *cobra.Command {
	o := &newOptions{}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Generate a new MCP server repository",
		Long: `Generate a new MCP server repository called NAME in ./NAME (or --dir).

Answers come from flags, from an answers file (--answers, TOML), or from the
defaults with --yes. A flag wins over the file; the file wins over the
defaults. The .mcpforge.toml of a generated repository is itself an answers
file. The keys of an answers file:
` + answerKeys() + `

On a terminal without --yes, a wizard asks every answer, pre-filled from the
flags and the file, and prints the equivalent command line at the end.
--accessible (or ACCESSIBLE=1) turns it into plain prompts without colours or
terminal queries, for screen readers and scripts: they read one answer per
line from stdin, terminal or pipe. Otherwise, without a terminal, missing
answers are an error listing them.

After writing, mcpforge runs go mod tidy (offline when the module cache
holds the pinned versions) and git init without a commit; --no-tidy and
--no-git turn them off.`,
		Example: `  mcpforge new weather --yes
  mcpforge new weather --module github.com/acme/weather --transport http,sse --license apache-2.0 --yes
  mcpforge new weather --auth jwt-local --issuer https://id.acme.com/realms/main --yes
  mcpforge new --answers answers.toml --dir ./out --dry-run`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("new takes one argument, the server name, but got %d: %s", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	f := cmd.Flags()
	f.SortFlags = false
	addAnswerFlags(cmd)
	f.StringVar(&o.answersFile, "answers", "", "read answers from a TOML `file`")
	f.StringVar(&o.dir, "dir", "", "target `directory` (default ./NAME)")
	f.BoolVarP(&o.yes, "yes", "y", false, "take the defaults for every answer not given; never prompt")
	f.BoolVar(&o.dryRun, "dry-run", false, "print every file that would be written with its size; write nothing")
	f.BoolVar(&o.force, "force", false, "write into a non-empty directory (replaces only the files mcpforge generates)")
	f.BoolVar(&o.noTidy, "no-tidy", false, "do not run go mod tidy after writing")
	f.BoolVar(&o.noGit, "no-git", false, "do not run git init after writing")
	f.BoolVar(&o.accessible, "accessible", false, "run the wizard as plain prompts reading lines from stdin, terminal or not, for screen readers and scripts (also ACCESSIBLE=1)")

	// Shell completion of file arguments.
	_ = cmd.MarkFlagFilename("answers", "toml")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *newOptions) run(cmd *cobra.Command, args []string) error {
	stdout := cmd.OutOrStdout()
	var fromFile generator.Answers
	if o.answersFile != "" {
		a, err := generator.LoadAnswers(o.answersFile)
		if err != nil {
			return usageError(err)
		}
		fromFile = a
	}
	fromFlags, err := answersFromFlags(cmd.Flags(), args)
	if err != nil {
		return usageError(err)
	}
	a := generator.Merge(fromFile, fromFlags)

	wizardRan := false
	if missing := a.Missing(); len(missing) > 0 && !o.yes {
		terminal := stdinIsTerminal(cmd.InOrStdin())
		// Accessible mode reads plain lines, so screen readers and scripts
		// can drive it through a pipe too. Asking for it (the flag or
		// ACCESSIBLE) lets it run without a terminal; TERM=dumb alone does
		// not, since it describes a terminal and CI jobs set it.
		piped := o.accessible || accessibleVar()
		if !terminal && !piped || runWizard == nil {
			return usageError(missingAnswersError(missing, terminal))
		}
		wo := wizardOptions{in: cmd.InOrStdin(), out: stdout, accessible: o.accessible || accessibleFromEnv()}
		if a, err = runWizard(cmd.Context(), a, wo); err != nil {
			if errors.Is(err, errAborted) {
				return &exitError{code: exitInterrupted, err: err}
			}
			return failure(err)
		}
		wizardRan = true
	}
	if a.Name == "" {
		return usageError(errors.New("no server name: pass it as the first argument (mcpforge new weather) or as name in the --answers file"))
	}
	a = a.WithDefaults()
	if err := a.Validate(); err != nil {
		return usageError(describeValidation(err))
	}
	b := currentBuild()
	set, err := generator.Render(a, generator.WithVersion(b.version))
	if err != nil {
		return failure(err)
	}
	dir := o.dir
	if dir == "" {
		dir = a.Name
	}
	wopts := generator.WriteOptions{Force: o.force}
	if o.dryRun {
		if err := generator.CheckTarget(set, dir, wopts); err != nil {
			return classify(err)
		}
		printPlan(stdout, set, dir, o)
		if wizardRan {
			printEquivalent(stdout, a, o)
		}
		return nil
	}
	if err := generator.Write(set, dir, wopts); err != nil {
		return classify(err)
	}
	fmt.Fprintf(stdout, "created %s: %d files\n", dir, set.Len())

	var postErrs []error
	if !o.noTidy {
		if err := generator.Tidy(cmd.Context(), dir); err != nil {
			postErrs = append(postErrs, err)
		} else {
			fmt.Fprintln(stdout, "go mod tidy: done")
		}
	}
	if !o.noGit {
		if err := generator.GitInit(cmd.Context(), dir); err != nil {
			postErrs = append(postErrs, err)
		} else {
			fmt.Fprintln(stdout, "git init: done (no commit)")
		}
	}
	if len(postErrs) > 0 {
		if wizardRan {
			printEquivalent(stdout, a, o) // the files are written; the answers are worth keeping
		}
		return failure(errors.Join(postErrs...))
	}
	printNextSteps(stdout, dir, a, o)
	if wizardRan {
		printEquivalent(stdout, a, o)
	}
	return nil
}

// printEquivalent shows the command line that answers what the wizard asked,
// for scripts and CI; the answers are in .mcpforge.toml too.
func printEquivalent(w io.Writer, a generator.Answers, o *newOptions) {
	fmt.Fprintf(w, "\nthe same without the wizard:\n  %s\n", equivalentCommand(a, o))
}

// classify maps generator errors to exit codes: input the user can fix is
// usage, anything else a failure.
func classify(err error) error {
	if generator.IsUsage(err) {
		return usageError(err)
	}
	return failure(err)
}

// addAnswerFlags gives cmd a flag for every answer of generator.Fields but
// the name (the NAME argument), of the kind the answer is, with shell
// completion of its options.
func addAnswerFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	for _, field := range generator.Fields() {
		switch field.Kind {
		case generator.KindText, generator.KindChoice:
			if field.Flag == "" {
				continue
			}
			f.String(field.Flag, "", field.Usage)
		case generator.KindMulti, generator.KindList:
			f.StringSlice(field.Flag, nil, field.Usage)
		case generator.KindBool:
			f.Bool(field.Flag, false, field.Usage)
			f.Bool(field.NoFlag, false, field.NoUsage)
		}
		if values := field.Completions(); values != nil {
			_ = cmd.RegisterFlagCompletionFunc(field.Flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}

// answerKeys lists the answers-file keys for the help, wrapped and indented.
func answerKeys() string {
	var b strings.Builder
	line := " "
	fields := generator.Fields()
	for i, field := range fields {
		word := " " + field.Key
		if i < len(fields)-1 {
			word += ","
		}
		if len(line)+len(word) > 78 {
			b.WriteString(line + "\n")
			line = " "
		}
		line += word
	}
	return b.String() + line
}

// answersFromFlags collects the answers given on the command line; only flags
// actually given count, so that they override an answers file and nothing
// else.
func answersFromFlags(f *pflag.FlagSet, args []string) (generator.Answers, error) {
	var a generator.Answers
	if len(args) == 1 {
		if err := a.Set(generator.KeyName, args[0]); err != nil {
			return a, err
		}
	}
	for _, field := range generator.Fields() {
		if field.Flag == "" {
			continue
		}
		var v any
		switch field.Kind {
		case generator.KindText, generator.KindChoice:
			if !f.Changed(field.Flag) {
				continue
			}
			v, _ = f.GetString(field.Flag)
		case generator.KindMulti, generator.KindList:
			if !f.Changed(field.Flag) {
				continue
			}
			v, _ = f.GetStringSlice(field.Flag)
		case generator.KindBool:
			on, off := f.Changed(field.Flag), f.Changed(field.NoFlag)
			switch {
			case on && off:
				return a, fmt.Errorf("--%s and --%s exclude each other; give one", field.Flag, field.NoFlag)
			case on:
				v, _ = f.GetBool(field.Flag)
			case off:
				no, _ := f.GetBool(field.NoFlag)
				v = !no
			default:
				continue
			}
		}
		if err := a.Set(field.Key, v); err != nil {
			return a, err
		}
	}
	return a, nil
}

// flagLabel names an answer the way a command-line user gives it.
func flagLabel(field generator.Field) string {
	switch {
	case field.Flag == "":
		return "NAME"
	case field.NoFlag != "":
		return "--" + field.Flag + " / --" + field.NoFlag
	}
	return "--" + field.Flag
}

// missingAnswersError lists every missing answer with its flag.
func missingAnswersError(missing []generator.Field, terminal bool) error {
	var b strings.Builder
	if terminal {
		b.WriteString("the interactive wizard is not available yet; pass --yes to take the defaults for the missing answers, or give them:\n")
	} else {
		b.WriteString("missing answers and no terminal to ask them on; give them as flags or in --answers FILE, or pass --yes to take the defaults:\n")
	}
	width := 0
	for _, m := range missing {
		width = max(width, len(flagLabel(m)))
	}
	for i, m := range missing {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %-*s  (%s)", width, flagLabel(m), m.Help)
	}
	return errors.New(b.String())
}

// describeValidation lists every problem, each with its answers-file key and
// its flag, since the answer may have come from either.
func describeValidation(err error) error {
	var ve *generator.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var b strings.Builder
	b.WriteString("invalid answers:")
	for _, p := range ve.Problems {
		field, _ := generator.FieldFor(p.Key)
		label := flagLabel(field)
		if field.Flag == "" {
			label = "the NAME argument"
		}
		fmt.Fprintf(&b, "\n  %s (%s): %s", p.Key, label, p.Message)
	}
	return &validationMessage{msg: b.String(), err: err}
}

// validationMessage keeps the ValidationError reachable through errors.As
// while printing the multi-line form.
type validationMessage struct {
	msg string
	err error
}

func (e *validationMessage) Error() string { return e.msg }
func (e *validationMessage) Unwrap() error { return e.err }

func printPlan(w io.Writer, set *generator.FileSet, dir string, o *newOptions) {
	fmt.Fprintf(w, "dry run: would write %d files (%d bytes) to %s\n", set.Len(), set.Size(), dir)
	for _, e := range set.Plan() {
		fmt.Fprintf(w, "%9d  %s\n", e.Size, e.Path)
	}
	var post []string
	if !o.noTidy {
		post = append(post, "go mod tidy")
	}
	if !o.noGit {
		post = append(post, "git init")
	}
	if len(post) > 0 {
		fmt.Fprintf(w, "then run %s there\n", strings.Join(post, " and "))
	}
	fmt.Fprintln(w, "nothing was written")
}

func printNextSteps(w io.Writer, dir string, a generator.Answers, o *newOptions) {
	// Lower case like every other line mcpforge prints ("created ...",
	// "git init: done").
	fmt.Fprintf(w, "\nnext steps:\n  cd %s\n", shellQuote(dir))
	if o.noTidy {
		fmt.Fprintln(w, "  go mod tidy")
	}
	switch {
	case slices.Contains(a.Transports, generator.TransportHTTP) || slices.Contains(a.Transports, generator.TransportSSE):
		fmt.Fprintf(w, "  go run ./cmd/%s --transport %s   # then open http://127.0.0.1:8080/\n", a.Name, firstNetwork(a.Transports))
	default:
		fmt.Fprintf(w, "  go run ./cmd/%s   # speaks MCP on stdin/stdout; see README.md to connect a client\n", a.Name)
	}
	if a.Auth == generator.AuthJWTLocal {
		// Until they are replaced, the server refuses every token; make dev
		// lets the owner call it meanwhile.
		var keys []string
		if a.Issuer == generator.PlaceholderIssuer {
			keys = append(keys, "issuer")
		}
		if a.JWKSURI == generator.PlaceholderJWKSURI {
			keys = append(keys, "jwks_uri")
		}
		if len(keys) > 0 {
			fmt.Fprintf(w, "  # middleware.jwt.local.%s in config.toml: placeholders, set your provider's\n", strings.Join(keys, " and "))
		}
		fmt.Fprintln(w, "  make dev   # the server with a local development issuer; prints a token to call it with")
	}
	fmt.Fprintln(w, "  go test ./...")
}

func firstNetwork(transports []string) string {
	for _, t := range transports {
		if t != generator.TransportStdio {
			return t
		}
	}
	return generator.TransportHTTP
}

// shellQuote quotes a path for pasting into a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./+@:,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
