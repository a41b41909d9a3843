package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/mcpforge/mcpforge/generator"
)

// tuiSession is a tmux session running one command on a 120x40 terminal,
// on a tmux server of its own.
type tuiSession struct {
	t      *testing.T
	tmux   string
	socket string
}

func newTUISession(t *testing.T, name, script string) *tuiSession {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed, so the full-screen wizard cannot be driven here (apt-get install tmux); the accessible-mode tests cover the answers")
	}
	s := &tuiSession{t: t, tmux: tmux, socket: fmt.Sprintf("mcpforge-test-%d-%s", os.Getpid(), name)}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", s.socket, "kill-server").Run() })
	s.run("new-session", "-d", "-x", "120", "-y", "40", "-s", "wizard", "sh", "-c", script)
	return s
}

func (s *tuiSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tuiSession) screen() string { return s.run("capture-pane", "-p", "-t", "wizard") }

// waitFor waits until the screen shows text.
func (s *tuiSession) waitFor(text string) string {
	s.t.Helper()
	return s.until(text, func(string) { time.Sleep(50 * time.Millisecond) })
}

// enterUntil presses Enter on every page before the one showing text,
// taking what each pre-fills: the pages of answers this test does not
// know, so that a new answer needs no change here.
func (s *tuiSession) enterUntil(text string) string {
	s.t.Helper()
	return s.until(text, func(screen string) {
		s.keys("Enter")
		for deadline := time.Now().Add(5 * time.Second); s.screen() == screen && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// until calls step with the screen until the screen shows text, for 20
// seconds at most.
func (s *tuiSession) until(text string, step func(screen string)) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen := s.screen()
		if strings.Contains(screen, text) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q; it shows:\n%s", text, screen)
		}
		step(screen)
	}
}

// leave waits until the screen no longer shows text: the form has moved
// on from the page showing it.
func (s *tuiSession) leave(text string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(s.screen(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen still shows %q:\n%s", text, s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys sends tmux key names ("Enter", "BSpace", "C-c") or literal text.
func (s *tuiSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.run("send-keys", "-t", "wizard", k)
		time.Sleep(60 * time.Millisecond) // let the form redraw between keys
	}
}

// buildMCPForge builds the command once per test binary run.
func buildMCPForge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcpforge")
	goCmd(t, ".", "build", "-o", bin, ".")
	return bin
}

// TestWizardTUI drives the full-screen wizard through tmux as a user would:
// a bad name shows the validator's error while typing, the JWT questions
// appear only after choosing jwt-local, and the answers land in
// .mcpforge.toml. Ctrl-C leaves nothing and exits 130.
func TestWizardTUI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mcpforge and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed, so the full-screen wizard cannot be driven here (apt-get install tmux); the accessible-mode tests cover the answers")
	}
	bin := buildMCPForge(t)

	t.Run("generate", func(t *testing.T) {
		work := t.TempDir()
		script := fmt.Sprintf("cd %s && env -u ACCESSIBLE %s new --no-tidy --no-git; echo EXIT=$?; sleep 600", shellQuote(work), shellQuote(bin))
		s := newTUISession(t, "generate", script)
		s.waitFor("Server name")
		s.keys("Bad")
		s.waitFor("must start with a lower-case letter")
		s.keys("BSpace", "BSpace", "BSpace", "tui-made")
		screen := s.waitFor("tui-made")
		if strings.Contains(screen, "must start with") {
			t.Errorf("the error stayed after the name was corrected:\n%s", screen)
		}
		s.keys("Enter")
		s.waitFor("empty for example.com/tui-made")
		s.keys("Enter", "From the TUI", "Enter")

		s.waitFor("Transports")
		s.keys("g", "x", "j", "j", "x", "Enter") // stdio off, sse on
		screen = s.waitFor("Authorization")
		if strings.Contains(screen, "Token issuer") {
			t.Errorf("JWT questions shown before choosing jwt-local:\n%s", screen)
		}
		s.keys("j", "Enter") // jwt-local
		s.waitFor("Token issuer")
		s.keys("https://id.example.com/realms/tui", "Enter", "Enter", "Enter")
		s.waitFor("Serve OAuth discovery")
		s.keys("n")
		s.leave("Serve OAuth discovery")
		s.enterUntil("Deployment artifacts")
		s.keys("g", "j", "x", "Enter") // helm off
		s.leave("Deployment artifacts")
		s.enterUntil("License")
		s.waitFor("none: no LICENSE file") // pre-filled with the default
		s.keys("g", "Enter")               // apache-2.0, the first
		s.leave("none: no LICENSE file")
		screen = s.enterUntil("Generate the repository?")
		for _, want := range []string{"tui-made", "jwt-local", "https://id.example.com/realms/tui", "docker, ci, release", "apache-2.0"} {
			if !strings.Contains(screen, want) {
				t.Errorf("the summary lacks %q:\n%s", want, screen)
			}
		}
		s.keys("Enter")
		screen = s.waitFor("EXIT=")
		if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "the same without the wizard:") {
			t.Fatalf("mcpforge did not succeed:\n%s", screen)
		}
		rec, err := os.ReadFile(filepath.Join(work, "tui-made", generator.RecordFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`name = "tui-made"`,
			`module = "example.com/tui-made"`,
			`description = "From the TUI"`,
			`transports = ["http", "sse"]`,
			`auth = "jwt-local"`,
			`issuer = "https://id.example.com/realms/tui"`,
			`audience = ""`,
			`jwks_uri = "` + generator.PlaceholderJWKSURI + `"`,
			`oauth = false`,
			`deploy = ["docker", "ci", "release"]`,
			`license = "apache-2.0"`,
		} {
			if !strings.Contains(string(rec), "\n"+want+"\n") {
				t.Errorf(".mcpforge.toml lacks %s:\n%s", want, rec)
			}
		}
		if lic, err := os.ReadFile(filepath.Join(work, "tui-made", "LICENSE")); err != nil || !strings.Contains(string(lic), "Apache License") {
			t.Errorf("license apache-2.0 chosen, but LICENSE is missing or another text: %v", err)
		}
	})

	t.Run("ctrl-c", func(t *testing.T) {
		work := t.TempDir()
		script := fmt.Sprintf("cd %s && env -u ACCESSIBLE %s new quitter --no-tidy --no-git; echo EXIT=$?; sleep 600", shellQuote(work), shellQuote(bin))
		s := newTUISession(t, "ctrlc", script)
		s.waitFor("Server name")
		s.keys("Enter", "Enter", "Enter")
		s.waitFor("Transports")
		s.keys("C-c")
		screen := s.waitFor("EXIT=")
		if !strings.Contains(screen, "EXIT="+strconv.Itoa(exitInterrupted)) || !strings.Contains(screen, "interrupted; nothing was written") {
			t.Errorf("Ctrl-C did not exit 130:\n%s", screen)
		}
		if entries, _ := os.ReadDir(work); len(entries) != 0 {
			t.Errorf("Ctrl-C left files: %v", entries)
		}
	})
}

// accessibleAnswers answer every question of `mcpforge new plain` in
// accessible mode with what it pre-fills, one line each, and confirm.
func accessibleAnswers(t *testing.T) string {
	return strings.Join(keystrokes(t, generator.Answers{Name: "plain"}, nil, "y"), "\n") + "\n"
}

// TestWizardAccessibleBinary drives the accessible wizard of the built
// binary as screen-reader users and scripts do: under a real pseudo-terminal
// (a terminal that answers no queries, as a screen reader's may not) and
// through a pipe. Both complete, and neither output holds an ESC byte:
// accessible mode sends no colours and no terminal queries (OSC 11, cursor
// position reports), which would otherwise wait for an answer that never
// comes.
func TestWizardAccessibleBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mcpforge and runs it under a pseudo-terminal")
	}
	bin := buildMCPForge(t)
	env := append(os.Environ(), "TERM=xterm-256color", "COLORTERM=truecolor", "ACCESSIBLE=", "NO_COLOR=", "CLICOLOR_FORCE=")

	check := func(t *testing.T, work string, out []byte) {
		t.Helper()
		if i := bytes.IndexByte(out, 0x1b); i >= 0 {
			t.Errorf("the output holds an escape sequence at byte %d: %q", i, out[max(0, i-20):min(len(out), i+20)])
		}
		for _, want := range []string{"Server name (", "Generate the repository? [Y/n]", "created "} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
		if _, err := os.Stat(filepath.Join(work, "plain", generator.RecordFile)); err != nil {
			t.Errorf("no repository written: %v", err)
		}
	}

	t.Run("pty", func(t *testing.T) {
		work := t.TempDir()
		cmd := exec.Command(bin, "new", "plain", "--accessible", "--no-tidy", "--no-git")
		cmd.Dir, cmd.Env = work, env
		tty, err := pty.Start(cmd)
		if err != nil {
			t.Skipf("no pseudo-terminal here: %v", err)
		}
		defer tty.Close()
		var out bytes.Buffer
		read := make(chan struct{})
		go func() {
			defer close(read)
			_, _ = io.Copy(&out, tty) // ends with EIO once the process exits
		}()
		// Typed ahead, as a fast typist or a script would: a wizard that
		// reads the terminal for answers to its own queries swallows them.
		if _, err := io.WriteString(tty, accessibleAnswers(t)); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("mcpforge new --accessible under a pty: %v", err)
			}
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			<-read
			t.Fatalf("mcpforge new --accessible hung under a pty; output so far: %q", out.Bytes())
		}
		<-read
		check(t, work, out.Bytes())
	})

	t.Run("pipe", func(t *testing.T) {
		work := t.TempDir()
		cmd := exec.Command(bin, "new", "plain", "--accessible", "--no-tidy", "--no-git")
		cmd.Dir, cmd.Env = work, env
		cmd.Stdin = strings.NewReader(accessibleAnswers(t))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("mcpforge new --accessible from a pipe: %v\n%s", err, out.Bytes())
		}
		check(t, work, out.Bytes())
	})
}
