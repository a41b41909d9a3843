package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mcpforge/mcpforge/generator"
)

// typed feeds lines to the wizard one byte per Read, as huh's accessible
// mode needs (each field reads through a new scanner).
func typed(lines ...string) io.Reader {
	return iotest.OneByteReader(strings.NewReader(strings.Join(lines, "\n") + "\n"))
}

// readTree returns every file under dir with its content, slash paths.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, want, got string) {
	t.Helper()
	a, b := readTree(t, want), readTree(t, got)
	for p, data := range a {
		if b[p] != data {
			t.Errorf("%s differs between %s and %s", p, want, got)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s is only in %s", p, got)
		}
	}
}

// shellWords splits a command line as printed by equivalentCommand: words
// separated by spaces, single quotes as POSIX shells read them.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestWizardAccessible drives the whole `mcpforge new` through the wizard's
// accessible mode: a bad name is refused with the validator's message and
// corrected, the answers land in .mcpforge.toml, and both the printed
// command and `new --answers .mcpforge.toml` reproduce the repository byte
// for byte.
func TestWizardAccessible(t *testing.T) {
	fakeTerminal(t)
	t.Setenv("ACCESSIBLE", "")
	dir := filepath.Join(t.TempDir(), "made")
	in := typed(keystrokes(t, generator.Answers{}, map[string][]string{
		generator.KeyName:        {"Bad", "made-by-wizard"}, // refused, then right
		generator.KeyDescription: {"Made by the wizard"},
		generator.KeyTransports:  {"1", "3", "0"}, // stdio off, sse on, done
		generator.KeyAuth:        {"1"},           // none
		generator.KeyDeploy:      {"2", "0"},      // helm off, done
		generator.KeyLicense:     {"2"},           // mit
	}, "y")...)
	var out, errOut bytes.Buffer
	code := run([]string{"new", "--accessible", "--dir", dir, "--no-tidy", "--no-git"}, in, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	stdout := out.String()
	for _, want := range []string{
		`must start with a lower-case letter (got "Bad")`,
		"Go module path (empty for example.com/made-by-wizard):",
		"transports       http, sse",
		"deploy           docker, ci, release",
		"1. apache-2.0: Apache License 2.0",
		"license          mit",
		"created " + dir,
		"the same without the wizard:\n  mcpforge new made-by-wizard --module example.com/made-by-wizard --description 'Made by the wizard' --transport http,sse --auth none ",
		" --deploy docker,ci,release --license mit --dir " + dir + " --no-tidy --no-git --yes\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	rec, err := generator.ReadRecord(filepath.Join(dir, generator.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	a := rec.Answers
	if a.Name != "made-by-wizard" || a.Module != "example.com/made-by-wizard" || a.Description != "Made by the wizard" ||
		!slices.Equal(a.Transports, []string{"http", "sse"}) || a.Auth != "none" || !slices.Equal(a.Deploy, []string{"docker", "ci", "release"}) ||
		a.License != "mit" {
		t.Errorf("recorded answers = %+v", a)
	}
	if lic, err := os.ReadFile(filepath.Join(dir, "LICENSE")); err != nil || !strings.HasPrefix(string(lic), "MIT License\n") {
		t.Errorf("license mit chosen, but LICENSE is %q, %v", lic[:min(len(lic), 40)], err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chart")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("helm was deselected but chart/ exists: %v", err)
	}

	// The record file reproduces the repository.
	again := filepath.Join(t.TempDir(), "again")
	if code, _, stderr := runCLI(t, "new", "--answers", filepath.Join(dir, generator.RecordFile), "--dir", again, "--no-tidy", "--no-git"); code != 0 {
		t.Fatalf("new --answers: exit %d: %s", code, stderr)
	}
	sameTree(t, dir, again)

	// So does the printed command line, without a terminal.
	line := stdout[strings.Index(stdout, "  mcpforge new ")+2:]
	line = line[:strings.IndexByte(line, '\n')]
	args := shellWords(t, line)[1:]
	printed := filepath.Join(t.TempDir(), "printed")
	args = append(args, "--dir", printed)
	stdinIsTerminal = func(io.Reader) bool { return false }
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("%s: exit %d: %s", line, code, stderr)
	}
	sameTree(t, dir, printed)
}

func TestWizardDeclined(t *testing.T) {
	fakeTerminal(t)
	dir := filepath.Join(t.TempDir(), "declined")
	in := typed(keystrokes(t, generator.Answers{}, map[string][]string{generator.KeyName: {"declined"}}, "n")...)
	var out, errOut bytes.Buffer
	code := run([]string{"new", "--accessible", "--dir", dir, "--no-tidy", "--no-git"}, in, &out, &errOut)
	if code != exitFailure || !strings.Contains(errOut.String(), "not confirmed; nothing was written") {
		t.Errorf("exit %d, stderr %q; want 1 and a word that nothing was written", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Generate the repository? [Y/n]") {
		t.Errorf("no confirmation asked:\n%s", out.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target written after no: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 0 {
		t.Errorf("leftovers: %v", entries)
	}
}

func TestWizardInputEnds(t *testing.T) {
	fakeTerminal(t)
	dir := filepath.Join(t.TempDir(), "ended")
	var out, errOut bytes.Buffer
	code := run([]string{"new", "--accessible", "--dir", dir}, typed("ended", ""), &out, &errOut)
	if code != exitFailure || !strings.Contains(errOut.String(), "the input ended before the wizard finished; nothing was written") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target written: %v", err)
	}
}

// TestWizardInterrupted sends SIGINT while the wizard waits for an answer:
// exit 130, nothing written.
func TestWizardInterrupted(t *testing.T) {
	fakeTerminal(t)
	dir := filepath.Join(t.TempDir(), "interrupted")
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"new", "--accessible", "--dir", dir}, pr, &out, &errOut) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Server name") {
		if time.Now().After(deadline) {
			t.Fatalf("the wizard did not ask the first question:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// run has installed its SIGINT handler before the wizard started.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(errOut.String(), "interrupted; nothing was written") {
			t.Errorf("exit %d, stderr %q; want 130", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wizard did not stop on SIGINT")
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target written: %v", err)
	}
}

// TestWizardAuthAnswers checks the answers the wizard returns for both JWT
// strategies, with answers given beforehand pre-filled and details of a
// strategy the user moved away from dropped.
func TestWizardAuthAnswers(t *testing.T) {
	given := generator.Answers{Name: "pre", Module: "example.com/acme/pre", Issuer: "https://old.example.com"}
	given.MarkGiven(generator.KeyName, generator.KeyModule, generator.KeyIssuer)
	var out bytes.Buffer
	// Name and module kept, description, transports, JWKS URI, deploy and
	// license as pre-filled.
	a, err := wizard(context.Background(), given, wizardOptions{accessible: true, out: &out, in: typed(keystrokes(t, given, map[string][]string{
		generator.KeyAuth:     {"2"},                                                        // jwt-local
		generator.KeyIssuer:   {"http://id.example.com", "https://id.example.com/realms/x"}, // refused: http off loopback; then right
		generator.KeyAudience: {"api://pre"},
		generator.KeyOAuth:    {"n"},
	}, "y")...)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `must use https (http is accepted only for localhost)`) {
		t.Errorf("the issuer error was not shown:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Server name (lower-case letters, digits and dashes, e.g. weather) [pre]:") {
		t.Errorf("the given name was not shown as the current value:\n%s", out.String())
	}
	if a.Name != "pre" || a.Module != "example.com/acme/pre" || a.Auth != generator.AuthJWTLocal ||
		a.Issuer != "https://id.example.com/realms/x" || a.Audience != "api://pre" || a.JWKSURI != "" ||
		a.OAuth == nil || *a.OAuth || !slices.Equal(a.Transports, []string{"stdio", "http"}) || len(a.Deploy) != 4 ||
		a.License != generator.DefaultLicense || !a.Given(generator.KeyLicense) {
		t.Errorf("answers = %+v", a)
	}
	if m := a.Missing(); len(m) != 0 {
		t.Errorf("answers still missing after the wizard: %v", m)
	}
	if err := a.WithDefaults().Validate(); err != nil {
		t.Errorf("wizard answers do not validate: %v", err)
	}

	out.Reset()
	a, err = wizard(context.Background(), given, wizardOptions{accessible: true, out: &out, in: typed(keystrokes(t, given, map[string][]string{
		generator.KeyAuth:           {"3"}, // jwt-external
		generator.KeyProxyHeader:    {"X-Claims"},
		generator.KeyTrustedProxies: {"10.0.0.0/8, 192.168.1.1/24", "10.0.0.0/8, 192.168.1.1"}, // refused: host bits; then right
	}, "y")...)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `"192.168.1.1/24" has host bits set; did you mean 192.168.1.0/24`) {
		t.Errorf("the CIDR error was not shown:\n%s", out.String())
	}
	if a.Auth != generator.AuthJWTExternal || a.ProxyHeader != "X-Claims" || !slices.Equal(a.TrustedProxies, []string{"10.0.0.0/8", "192.168.1.1/32"}) || a.Issuer != "" {
		t.Errorf("answers = %+v", a)
	}
	if err := a.WithDefaults().Validate(); err != nil {
		t.Errorf("wizard answers do not validate: %v", err)
	}
}

func TestWizardCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	defer pw.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := wizard(ctx, generator.Answers{}, wizardOptions{accessible: true, in: pr, out: io.Discard})
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, errAborted) {
			t.Errorf("err = %v, want errAborted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wizard ignored the cancelled context")
	}
}

// TestEquivalentCommand parses the printed command line with the flags of
// new and checks that it gives the same answers, for every kind of answer.
func TestEquivalentCommand(t *testing.T) {
	off := false
	cases := []generator.Answers{
		{Name: "plain"},
		{Name: "local", Description: "It's \"quoted\"; $HOME", Auth: generator.AuthJWTLocal, Audience: "", OAuth: &off, Deploy: []string{}},
		{Name: "local-on", Auth: generator.AuthJWTLocal, Issuer: "https://id.example.com", Audience: "api://x"},
		{Name: "external", Auth: generator.AuthJWTExternal, ProxyHeader: "x-claims", TrustedProxies: []string{}, Transports: []string{"sse"}},
		{Name: "licensed", License: "MIT"},
		{Name: "apache", License: generator.LicenseApache},
	}
	for _, a := range cases {
		a.MarkGiven(generator.KeyDeploy, generator.KeyTrustedProxies)
		want := generator.Record{Answers: a.WithDefaults()}.Encode()
		line := equivalentCommand(a.WithDefaults(), &newOptions{noGit: true})
		words := shellWords(t, line)
		if words[0] != "mcpforge" || words[1] != "new" || words[len(words)-1] != "--yes" {
			t.Fatalf("command %q", line)
		}
		cmd := newNewCmd()
		if err := cmd.ParseFlags(words[2:]); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		got, err := answersFromFlags(cmd.Flags(), cmd.Flags().Args())
		if err != nil {
			t.Fatal(err)
		}
		if m := got.Missing(); len(m) != 0 {
			t.Errorf("%s leaves answers missing: %v", line, m)
		}
		if enc := (generator.Record{Answers: got.WithDefaults()}).Encode(); !bytes.Equal(enc, want) {
			t.Errorf("%s gives other answers:\n%s\nwant:\n%s", line, enc, want)
		}
	}
}

func TestAccessibleFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true, "yes": true} {
		t.Setenv("ACCESSIBLE", v)
		t.Setenv("TERM", "xterm")
		if got := accessibleFromEnv(); got != want {
			t.Errorf("ACCESSIBLE=%q: %v, want %v", v, got, want)
		}
	}
	t.Setenv("ACCESSIBLE", "")
	t.Setenv("TERM", "dumb")
	if !accessibleFromEnv() {
		t.Error("TERM=dumb is not accessible")
	}
}

// TestWizardAccessibleFromEnv checks that ACCESSIBLE=1 alone selects the
// plain prompts.
func TestWizardAccessibleFromEnv(t *testing.T) {
	fakeTerminal(t)
	t.Setenv("ACCESSIBLE", "1")
	dir := filepath.Join(t.TempDir(), "env")
	var out, errOut bytes.Buffer
	code := run([]string{"new", "env", "--dir", dir, "--dry-run"}, typed(keystrokes(t, generator.Answers{Name: "env"}, nil, "y")...), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "Server name (") || !strings.Contains(out.String(), "nothing was written") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}

// TestWizardRefusesDisguisingText types a bidirectional control or an
// invisible character into every text question of the wizard: each is
// refused with its position as typed (before the wizard trims anything),
// asked again, and the corrected answers come back.
func TestWizardRefusesDisguisingText(t *testing.T) {
	var out bytes.Buffer
	// Each refused, then corrected or left empty.
	a, err := wizard(context.Background(), generator.Answers{}, wizardOptions{accessible: true, out: &out, in: typed(keystrokes(t, generator.Answers{}, map[string][]string{
		generator.KeyName:        {"wea\u202ether", "weather"},
		generator.KeyModule:      {" \u200bexample.com/w", ""}, // position 2 as typed, before trimming
		generator.KeyDescription: {"safe \u202e gnp.exe", "Safe"},
		generator.KeyAuth:        {"2"}, // jwt-local
		generator.KeyIssuer:      {"https://id.example.com/\u200e", ""},
		generator.KeyAudience:    {"api\u2060", ""},
		generator.KeyJWKSURI:     {"https://id.example.com/certs\u061c", ""},
	}, "y")...)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"character 4 is U+202E (RIGHT-TO-LEFT OVERRIDE)",
		"character 2 is U+200B (ZERO WIDTH SPACE)",
		"character 6 is U+202E (RIGHT-TO-LEFT OVERRIDE)",
		"character 24 is U+200E (LEFT-TO-RIGHT MARK)",
		"character 4 is U+2060 (WORD JOINER)",
		"character 29 is U+061C (ARABIC LETTER MARK)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the wizard did not say %q:\n%s", want, out.String())
		}
	}
	if a.Name != "weather" || a.Module != "" || a.Description != "Safe" || a.Issuer != "" || a.Audience != "" || a.JWKSURI != "" {
		t.Errorf("answers = %+v", a)
	}

	out.Reset()
	given := generator.Answers{Name: "pre"}
	given.MarkGiven(generator.KeyName)
	a, err = wizard(context.Background(), given, wizardOptions{accessible: true, out: &out, in: typed(keystrokes(t, given, map[string][]string{
		generator.KeyAuth:           {"3"}, // jwt-external
		generator.KeyProxyHeader:    {"x-jwt\u200b", ""},
		generator.KeyTrustedProxies: {"10.0.0.0/8,\u2069", "10.0.0.0/8"}, // typed as one line
	}, "y")...)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"character 6 is U+200B (ZERO WIDTH SPACE)",
		"character 12 is U+2069 (POP DIRECTIONAL ISOLATE)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the wizard did not say %q:\n%s", want, out.String())
		}
	}
	if a.ProxyHeader != "" || !slices.Equal(a.TrustedProxies, []string{"10.0.0.0/8"}) {
		t.Errorf("answers = %+v", a)
	}
}

// TestWizardAccessibleFromPipe drives accessible mode without a terminal, as
// a script does: --accessible or ACCESSIBLE=1 reads the answers line by line
// from the pipe. TERM=dumb alone (set by CI jobs) still gets the list of
// missing answers instead of a wizard waiting for input.
func TestWizardAccessibleFromPipe(t *testing.T) {
	// typed is no *os.File: stdinIsTerminal sees no terminal, as for a pipe.
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"--accessible"}, map[string]string{"ACCESSIBLE": "", "TERM": "xterm"}},
		{"environment", nil, map[string]string{"ACCESSIBLE": "1", "TERM": "xterm"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			dir := filepath.Join(t.TempDir(), "piped")
			args := append([]string{"new", "piped", "--dir", dir, "--no-tidy", "--no-git"}, c.args...)
			var out, errOut bytes.Buffer
			code := run(args, typed(keystrokes(t, generator.Answers{Name: "piped"}, map[string][]string{generator.KeyDescription: {"Read from a pipe"}}, "y")...), &out, &errOut)
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
			}
			rec, err := generator.ReadRecord(filepath.Join(dir, generator.RecordFile))
			if err != nil || rec.Answers.Description != "Read from a pipe" {
				t.Errorf("record %+v, %v; want the description typed into the pipe", rec.Answers, err)
			}
		})
	}
	t.Run("TERM=dumb alone", func(t *testing.T) {
		t.Setenv("ACCESSIBLE", "")
		t.Setenv("TERM", "dumb")
		dir := filepath.Join(t.TempDir(), "dumb")
		var out, errOut bytes.Buffer
		code := run([]string{"new", "dumb", "--dir", dir}, typed("", "", "", "0", "1", "0", "", "y"), &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), "missing answers and no terminal to ask them on") {
			t.Errorf("exit %d, stderr %q; want 2 listing the missing answers", code, errOut.String())
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("target written: %v", err)
		}
	})
}
