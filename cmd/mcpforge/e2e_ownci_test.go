package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcpforge/mcpforge/generator"
)

// A generated repository must pass its own CI on the first push and every
// Makefile target must work as its README says. checkOwnCI runs, in a
// freshly generated repository, every `run:` step of
// .github/workflows/ci.yml and every Makefile target, except those listed
// below with the reason no test machine can run them. A step or target in
// neither list fails the test, so nothing new goes unchecked.

// ciStepsRun are the workflow steps run here, by step name.
var ciStepsRun = []string{
	"go.mod and go.sum are tidy",
	"build",
	"vet",
	"test",
	"staticcheck",
	"helm lint",
}

// ciStepsSkipped are the workflow steps no test machine can run.
var ciStepsSkipped = map[string]string{
	// Part of publishing the image on a tag push: it needs GitHub's
	// GITHUB_REPOSITORY and GITHUB_OUTPUT, and its output feeds only the
	// Docker build (no Docker engine here; the Dockerfile is validated
	// offline by the deploy checks instead).
	"image name": "publishes to ghcr.io from a tag push; needs GitHub Actions and a Docker engine",
}

// makeTargetsRun are the Makefile targets that run to completion, in this
// order (clean last, since it removes what the others built).
var makeTargetsRun = []string{"help", "build", "check", "test", "cover", "bench", "lint", "tidy"}

// makeTargetsServing are the targets that start a server and keep it
// running: each is started, proven to serve, and stopped.
var makeTargetsServing = map[string]func(t *testing.T, r *ownRepo){
	"run":       checkMakeRun,
	"run-http":  checkMakeRunHTTP,
	"inspector": checkMakeInspector,
	"dev":       checkMakeDev, // jwt-local only: the development loop (e2e_devloop_test.go)
}

// makeTargetsSkipped are the Makefile targets no test machine can run.
var makeTargetsSkipped = map[string]string{}

// ownRepo is a generated repository under test.
type ownRepo struct {
	dir, name string
	a         variantAnswers
	env       []string // the environment of every step: the real module proxy
	node      string   // the pinned node harness (testdata/node)
}

// checkOwnCI runs the CI steps and Makefile targets of the repository in dir.
// env is the environment CI would have (with network access to the module
// proxy, unlike the offline tidy of `mcpforge new`).
func checkOwnCI(t *testing.T, dir string, a variantAnswers, env []string, node string) {
	r := &ownRepo{dir: dir, name: a.Name, a: a, env: env, node: node}
	t.Run("workflow", func(t *testing.T) { r.checkWorkflow(t) })
	t.Run("make", func(t *testing.T) { r.checkMake(t) })
}

// workflow is the part of a GitHub Actions workflow these checks read.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string `yaml:"name"`
			Run  string `yaml:"run"`
			Uses string `yaml:"uses"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func (r *ownRepo) checkWorkflow(t *testing.T) {
	path := filepath.Join(r.dir, ".github", "workflows", "ci.yml")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if r.a.Deploy == nil || slices.Contains(r.a.Deploy, "ci") {
			t.Fatalf("the variant deploys CI, but %s is missing", path)
		}
		t.Skip("no CI workflow in this variant")
	}
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("parse ci.yml: %v", err)
	}
	jobs := make([]string, 0, len(wf.Jobs))
	for name := range wf.Jobs {
		jobs = append(jobs, name)
	}
	slices.Sort(jobs)
	ran := 0
	for _, job := range jobs {
		for _, step := range wf.Jobs[job].Steps {
			if step.Run == "" {
				continue
			}
			if reason, ok := ciStepsSkipped[step.Name]; ok {
				t.Logf("job %s, step %q: not run (%s)", job, step.Name, reason)
				continue
			}
			if !slices.Contains(ciStepsRun, step.Name) {
				t.Errorf("job %s, step %q is in neither ciStepsRun nor ciStepsSkipped: run it here, or say why it cannot run", job, step.Name)
				continue
			}
			t.Run(job+"/"+step.Name, func(t *testing.T) {
				r.sh(t, step.Run)
				ran++
			})
		}
	}
	if ran == 0 {
		t.Fatal("no step of ci.yml ran")
	}
}

// sh runs a workflow step's script with bash -e, as GitHub Actions does.
func (r *ownRepo) sh(t *testing.T, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

// makeTarget matches a rule of the Makefile.
var makeTarget = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)

func (r *ownRepo) checkMake(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not on PATH: the generated Makefile cannot be checked")
	}
	data, err := os.ReadFile(filepath.Join(r.dir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, m := range makeTarget.FindAllStringSubmatch(string(data), -1) {
		targets = append(targets, m[1])
	}
	for _, target := range targets {
		_, serving := makeTargetsServing[target]
		_, skipped := makeTargetsSkipped[target]
		if !slices.Contains(makeTargetsRun, target) && !serving && !skipped && target != "clean" {
			t.Errorf("Makefile target %q is in none of makeTargetsRun, makeTargetsServing and makeTargetsSkipped: check it here, or say why it cannot run", target)
		}
	}
	for _, target := range makeTargetsRun {
		if !slices.Contains(targets, target) {
			t.Errorf("the Makefile has no target %q", target)
			continue
		}
		t.Run(target, func(t *testing.T) {
			out := r.make(t, target)
			if target == "help" {
				checkMakeHelp(t, out, targets)
			}
		})
	}
	for _, target := range targets {
		if check, ok := makeTargetsServing[target]; ok {
			t.Run(target, func(t *testing.T) { check(t, r) })
		}
	}
	t.Run("clean", func(t *testing.T) {
		r.make(t, "clean")
		if _, err := os.Stat(filepath.Join(r.dir, "bin")); !os.IsNotExist(err) {
			t.Errorf("make clean left bin/ behind")
		}
	})
}

// checkMakeHelp: every target is listed, with no unexpanded make variable.
func checkMakeHelp(t *testing.T, out string, targets []string) {
	if strings.Contains(out, "$(") {
		t.Errorf("make help prints an unexpanded variable:\n%s", out)
	}
	for _, target := range targets {
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(target) + `\s`).MatchString(out) {
			t.Errorf("make help does not list %q:\n%s", target, out)
		}
	}
}

// make runs a target to completion.
func (r *ownRepo) make(t *testing.T, target string, vars ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{target}, vars...)...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", target, err, out)
	}
	return string(out)
}

// startMake starts a target that keeps running, in its own process group so
// that stopping it stops the server make started.
func (r *ownRepo) startMake(t *testing.T, env []string, target string, vars ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command("make", append([]string{target}, vars...)...)
	cmd.Dir = r.dir
	cmd.Env = append(slices.Clone(r.env), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	return cmd, out
}

// waitListening waits until out shows the address the server listens on,
// and returns its base URL.
func waitListening(t *testing.T, out *lockedBuffer) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // make builds first
	for time.Now().Before(deadline) {
		if m := listenAddr.FindStringSubmatch(out.String()); m != nil {
			return "http://" + m[1]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server never logged its address:\n%s", out.String())
	return ""
}

// stopMake sends SIGTERM to the target's process group and checks that the
// server shut down cleanly.
func stopMake(t *testing.T, cmd *exec.Cmd, out *lockedBuffer) {
	t.Helper()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not stop after SIGTERM:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "shut down") {
		t.Errorf("the server did not report a clean shutdown:\n%s", out.String())
	}
}

func getOK(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// checkMakeRun: `make run` serves the default transport with config.toml.
func checkMakeRun(t *testing.T, r *ownRepo) {
	if len(r.a.Transports) > 0 && r.a.Transports[0] == "stdio" {
		// On stdio the server answers the client on stdin and exits 0 at
		// its end.
		cmd := exec.Command("make", "run")
		cmd.Dir = r.dir
		cmd.Env = r.env
		cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"make","version":"1"}}}` + "\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("make run: %v\n%s", err, stderr.String())
		}
		if !strings.Contains(stdout.String(), `"serverInfo"`) {
			t.Fatalf("make run on stdio answered no initialize:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		return
	}
	cmd, out := r.startMake(t, []string{generator.EnvPrefix(r.name) + "_SERVER_HTTP_PORT=0"}, "run")
	base := waitListening(t, out)
	getOK(t, base+"/health")
	stopMake(t, cmd, out)
}

// checkMakeRunHTTP: `make run-http` serves streamable HTTP on ADDR.
func checkMakeRunHTTP(t *testing.T, r *ownRepo) {
	cmd, out := r.startMake(t, nil, "run-http", "ADDR=127.0.0.1:0")
	base := waitListening(t, out)
	getOK(t, base+"/health")
	stopMake(t, cmd, out)
}

// checkMakeInspector runs the target's own command line with the pinned
// Inspector in CLI mode (the web UI is for people): it must list the tools
// of the server it starts. Network-only servers have no command line to
// give the Inspector; their target only opens the UI.
func checkMakeInspector(t *testing.T, r *ownRepo) {
	if !slices.Contains(r.a.Transports, "stdio") {
		t.Skip("network-only: make inspector opens the Inspector's web UI for a server started by make run-http; the Inspector CLI is run against such servers by inspector/http")
	}
	cli := filepath.Join(r.node, "node_modules", "@modelcontextprotocol", "inspector", "cli", "build", "cli.js")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "inspector", fmt.Sprintf("INSPECTOR=node %s --cli --method tools/list", cli))
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make inspector with --cli: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"hello_world"`) {
		t.Fatalf("the Inspector listed no hello_world through make inspector:\n%s", out)
	}
}

// checkOwnStaticcheck holds mcpforge's own code to the lint it gives the
// repositories it generates (the runtime packages are checked again there,
// as copied).
func checkOwnStaticcheck(t *testing.T) {
	goCmd(t, filepath.Join("..", ".."), "run", "honnef.co/go/tools/cmd/staticcheck@v0.8.2", "./...")
}
