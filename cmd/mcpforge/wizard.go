package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
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

// wizardState holds the values the form edits. Its fields are exported
// because huh recomputes dynamic texts when a hash of their bindings
// changes, and the hash sees exported fields only.
type wizardState struct {
	Name, Module, Description string
	Transports                []string
	Auth                      string
	Issuer, Audience, JWKSURI string
	OAuth                     bool
	ProxyHeader               string
	TrustedProxies            string // comma-separated, as typed
	Deploy                    []string
	License                   string
	Confirm                   bool
}

// newWizardState pre-fills the form: the answers given, and for lists and
// choices the defaults, so that every answer shows what --yes would take.
// Text answers with a default that depends on other answers (module,
// issuer, ...) stay empty when not given: empty means that default.
func newWizardState(a generator.Answers) *wizardState {
	d := a.WithDefaults()
	st := &wizardState{
		Name:        a.Name,
		Module:      a.Module,
		Description: a.Description,
		Transports:  d.Transports,
		Auth:        d.Auth,
		Issuer:      a.Issuer,
		Audience:    a.Audience,
		JWKSURI:     a.JWKSURI,
		OAuth:       a.OAuth == nil || *a.OAuth,
		ProxyHeader: a.ProxyHeader,
		Deploy:      d.Deploy,
		License:     d.License,
		Confirm:     true,
	}
	if !slices.Contains(generator.KnownAuth(), st.Auth) {
		st.Auth = generator.AuthNone
	}
	if !slices.Contains(generator.KnownLicenses(), st.License) {
		st.License = generator.DefaultLicense
	}
	proxies := a.TrustedProxies
	if !a.Given(generator.KeyTrustedProxies) {
		proxies = generator.Answers{Name: "x", Auth: generator.AuthJWTExternal}.WithDefaults().TrustedProxies
	}
	st.TrustedProxies = strings.Join(proxies, ", ")
	return st
}

// splitList splits a typed list at commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// answers turns the form into answers: every answer the form asked counts as
// given, and the ones that do not apply to the chosen auth are cleared so
// that a strategy changed in the wizard does not leave stale details behind.
func (st *wizardState) answers(base generator.Answers) generator.Answers {
	a := base
	a.Name = strings.TrimSpace(st.Name)
	a.Module = strings.TrimSpace(st.Module)
	a.Description = strings.TrimSpace(st.Description)
	a.Transports = generator.CanonicalTransports(st.Transports)
	a.Auth = st.Auth
	a.Issuer, a.Audience, a.JWKSURI, a.OAuth = "", "", "", nil
	a.ProxyHeader, a.TrustedProxies = "", nil
	switch st.Auth {
	case generator.AuthJWTLocal:
		a.Issuer = strings.TrimSpace(st.Issuer)
		a.Audience = strings.TrimSpace(st.Audience)
		a.JWKSURI = strings.TrimSpace(st.JWKSURI)
		on := st.OAuth
		a.OAuth = &on
		a.MarkGiven(generator.KeyIssuer, generator.KeyAudience, generator.KeyJWKSURI, generator.KeyOAuth)
	case generator.AuthJWTExternal:
		a.ProxyHeader = strings.TrimSpace(st.ProxyHeader)
		a.TrustedProxies = generator.CanonicalCIDRs(append([]string{}, splitList(st.TrustedProxies)...))
		a.MarkGiven(generator.KeyProxyHeader, generator.KeyTrustedProxies)
	}
	a.Deploy = generator.CanonicalDeploy(append([]string{}, st.Deploy...))
	a.License = st.License
	a.MarkGiven(generator.KeyName, generator.KeyModule, generator.KeyDescription, generator.KeyTransports, generator.KeyAuth, generator.KeyDeploy, generator.KeyLicense)
	return a
}

// summary lists the answers the repository would be generated from, as the
// record file will hold them.
func (st *wizardState) summary(base generator.Answers) string {
	a := st.answers(base).WithDefaults()
	var b strings.Builder
	for _, f := range generator.Fields() {
		if !a.Applies(f.Key) {
			continue
		}
		fmt.Fprintf(&b, "%-16s %s\n", f.Key, answerText(a, f.Key))
	}
	return strings.TrimRight(b.String(), "\n")
}

// answerText shows one answer in the summary.
func answerText(a generator.Answers, key string) string {
	list := func(l []string) string {
		if len(l) == 0 {
			return "(none)"
		}
		return strings.Join(l, ", ")
	}
	switch key {
	case generator.KeyName:
		return a.Name
	case generator.KeyModule:
		return a.Module
	case generator.KeyDescription:
		return a.Description
	case generator.KeyTransports:
		return list(a.Transports)
	case generator.KeyAuth:
		return a.Auth
	case generator.KeyIssuer:
		return a.Issuer
	case generator.KeyAudience:
		if a.Audience == "" {
			return "(the server's public URL of /mcp)"
		}
		return a.Audience
	case generator.KeyJWKSURI:
		return a.JWKSURI
	case generator.KeyOAuth:
		if a.OAuthEnabled() {
			return "yes"
		}
		return "no"
	case generator.KeyProxyHeader:
		return a.ProxyHeader
	case generator.KeyTrustedProxies:
		return list(a.TrustedProxies)
	case generator.KeyDeploy:
		return list(a.Deploy)
	case generator.KeyLicense:
		if a.License == generator.LicenseNone {
			return "none (no LICENSE file)"
		}
		return a.License
	}
	return ""
}

// optional wraps a validator for an answer where empty means the default.
func optional(v func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return v(strings.TrimSpace(s))
	}
}

// step is one group of questions and when it applies.
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

// input builds a text question bound to *value, validated by validate as
// the user types: huh runs it when the user tries to move on and shows its
// error under the field, and the description turns into that error while
// the text is invalid. In accessible mode, where huh prints only the title
// and an empty line keeps the current value, the help and the current value
// go into the title.
//
// Every text question goes through here, so CheckText runs first on what
// was typed, before validate (or optional) trims it: the position it
// reports is the one on the screen, and no question can forget it.
func (f *form) input(title string, help func() string, value *string, validate func(string) error) *huh.Input {
	v := func(s string) error {
		if err := generator.CheckText(s); err != nil {
			return err
		}
		return validate(s)
	}
	in := huh.NewInput().Value(value)
	if f.accessible {
		cur := ""
		if *value != "" {
			cur = " [" + *value + "]"
		}
		in.Title(fmt.Sprintf("%s (%s)%s:", title, help(), cur))
		current := *value
		return in.Validate(func(s string) error {
			if strings.TrimSpace(s) == "" {
				s = current // an empty line keeps the current value
			}
			return v(s)
		})
	}
	return in.Title(title).
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

// text is a fixed help text.
func text(s string) func() string { return func() string { return s } }

func (f *form) steps() []step {
	st := f.st
	name := func() string {
		if n := strings.TrimSpace(st.Name); n != "" {
			return n
		}
		return "NAME"
	}
	transportOptions := []huh.Option[string]{
		huh.NewOption("stdio: local clients such as Claude Desktop and IDEs", generator.TransportStdio),
		huh.NewOption("http: streamable HTTP at /mcp", generator.TransportHTTP),
		huh.NewOption("sse: legacy HTTP+SSE at /sse and /message", generator.TransportSSE),
	}
	authOptions := []huh.Option[string]{
		huh.NewOption("none: no authorization", generator.AuthNone),
		huh.NewOption("jwt-local: validate JWTs against the issuer's JWKS", generator.AuthJWTLocal),
		huh.NewOption("jwt-external: trust claims a proxy (Istio, Envoy) forwards", generator.AuthJWTExternal),
	}
	deployOptions := []huh.Option[string]{
		huh.NewOption("docker: Dockerfile and .dockerignore", generator.DeployDocker),
		huh.NewOption("helm: Helm chart", generator.DeployHelm),
		huh.NewOption("ci: GitHub Actions workflow", generator.DeployCI),
		huh.NewOption("release: goreleaser configuration", generator.DeployRelease),
	}
	licenseOptions := []huh.Option[string]{
		huh.NewOption("apache-2.0: Apache License 2.0, with a patent grant", generator.LicenseApache),
		huh.NewOption("mit: MIT License, short and permissive", generator.LicenseMIT),
		huh.NewOption("none: no LICENSE file; choose one later", generator.LicenseNone),
	}
	server := []huh.Field{
		f.input("Server name", text("lower-case letters, digits and dashes, e.g. weather"), &st.Name, generator.ValidateName),
		f.input("Go module path", func() string { return "empty for example.com/" + name() }, &st.Module, optional(generator.ValidateModule)),
		f.input("Description", func() string { return "one line; empty for \"The " + name() + " MCP server\"" }, &st.Description, generator.ValidateDescription),
	}
	var steps []step
	if f.accessible {
		// One question per step, so that the help of the module and
		// description questions shows the name just typed.
		for i := range server {
			steps = append(steps, step{group: func() *huh.Group {
				fields := []huh.Field{
					f.input("Server name", text("lower-case letters, digits and dashes, e.g. weather"), &st.Name, generator.ValidateName),
					f.input("Go module path", func() string { return "empty for example.com/" + name() }, &st.Module, optional(generator.ValidateModule)),
					f.input("Description", func() string { return "one line; empty for \"The " + name() + " MCP server\"" }, &st.Description, generator.ValidateDescription),
				}
				return huh.NewGroup(fields[i])
			}})
		}
	} else {
		steps = append(steps, step{group: func() *huh.Group { return huh.NewGroup(server...).Title("New MCP server") }})
	}
	return append(steps, []step{
		{group: func() *huh.Group {
			return huh.NewGroup(
				huh.NewMultiSelect[string]().
					Title("Transports").
					Description("space or x toggles, enter confirms").
					Options(transportOptions...).
					Value(&st.Transports).
					Validate(func(l []string) error { return generator.ValidateTransports(generator.CanonicalTransports(l)) }),
			)
		}},
		{group: func() *huh.Group {
			return huh.NewGroup(
				huh.NewSelect[string]().
					Title("Authorization").
					Options(authOptions...).
					Value(&st.Auth).
					Validate(generator.ValidateAuth),
			)
		}},
		{
			hide: func() bool { return st.Auth != generator.AuthJWTLocal },
			group: func() *huh.Group {
				return huh.NewGroup(
					f.input("Token issuer", text("iss of the tokens; empty for the placeholder "+generator.PlaceholderIssuer), &st.Issuer, optional(generator.ValidateIssuer)),
					f.input("Token audience", text("aud the tokens must carry; empty for the server's public URL of /mcp"), &st.Audience, generator.ValidateAudience),
					f.input("JWKS URI", text("where the issuer publishes its signing keys; empty for a placeholder"), &st.JWKSURI, optional(generator.ValidateURL)),
					huh.NewConfirm().
						Title("Serve OAuth discovery and /login?").
						Description("lets MCP clients find the authorization server").
						Value(&st.OAuth),
				).Title("JWT validation")
			},
		},
		{
			hide: func() bool { return st.Auth != generator.AuthJWTExternal },
			group: func() *huh.Group {
				return huh.NewGroup(
					f.input("Claims header", text("the header the proxy forwards the claims in; empty for "+generator.DefaultProxyHeader), &st.ProxyHeader, optional(generator.ValidateHeaderName)),
					f.input("Trusted proxies", text("CIDRs, comma-separated; only their forwarded claims are believed"), &st.TrustedProxies, func(s string) error {
						return generator.ValidateCIDRs(splitList(s))
					}),
				).Title("Trusted proxy")
			},
		},
		{group: func() *huh.Group {
			return huh.NewGroup(
				huh.NewMultiSelect[string]().
					Title("Deployment artifacts").
					Description("space or x toggles, enter confirms; none is fine").
					Options(deployOptions...).
					Value(&st.Deploy).
					Validate(func(l []string) error { return generator.ValidateDeploy(generator.CanonicalDeploy(l)) }),
			)
		}},
		{group: func() *huh.Group {
			return huh.NewGroup(
				huh.NewSelect[string]().
					Title("License").
					Description("the LICENSE file of the new repository").
					Options(licenseOptions...).
					Value(&st.License).
					Validate(generator.ValidateLicense),
			)
		}},
		{group: func() *huh.Group {
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
		}},
	}...)
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
	return f.st.answers(a), nil
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
	parts := []string{"mcpforge", "new", shellQuote(a.Name)}
	flag := func(name, value string) { parts = append(parts, "--"+name, shellQuote(value)) }
	list := func(l []string, empty string) string {
		if len(l) == 0 {
			return empty
		}
		return strings.Join(l, ",")
	}
	for _, f := range generator.Fields() {
		if f.Flag == "" || !a.Applies(f.Key) {
			continue
		}
		switch f.Key {
		case generator.KeyModule:
			flag(f.Flag, a.Module)
		case generator.KeyDescription:
			flag(f.Flag, a.Description)
		case generator.KeyTransports:
			flag(f.Flag, list(a.Transports, ""))
		case generator.KeyAuth:
			flag(f.Flag, a.Auth)
		case generator.KeyIssuer:
			flag(f.Flag, a.Issuer)
		case generator.KeyAudience:
			flag(f.Flag, a.Audience)
		case generator.KeyJWKSURI:
			flag(f.Flag, a.JWKSURI)
		case generator.KeyOAuth:
			if a.OAuthEnabled() {
				parts = append(parts, "--"+flagOAuth)
			} else {
				parts = append(parts, "--"+flagNoOAuth)
			}
		case generator.KeyProxyHeader:
			flag(f.Flag, a.ProxyHeader)
		case generator.KeyTrustedProxies:
			flag(f.Flag, list(a.TrustedProxies, ""))
		case generator.KeyDeploy:
			flag(f.Flag, list(a.Deploy, "none"))
		case generator.KeyLicense:
			flag(f.Flag, a.License)
		}
	}
	if o.dir != "" {
		flag("dir", o.dir)
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
