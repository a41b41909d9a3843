package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// experimentalDirective turns on buildkit's experimental lint rules too. It
// is prepended to the Dockerfile unless it has a check directive of its own,
// and line numbers are corrected for it.
const experimentalDirective = "# check=experimental=all\n"

func runDockerfile(args []string, out io.Writer) error {
	cl, err := parseArgs(args, []string{"build"}, nil)
	if err != nil {
		return err
	}
	target, err := cl.one("Dockerfile or directory")
	if err != nil {
		return err
	}
	file := target
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		file = filepath.Join(target, "Dockerfile")
	}
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	findings, stages, err := lintDockerfile(context.Background(), file, dt)
	if err != nil {
		return err
	}
	if len(findings) == 0 && cl.last("build") != "" {
		findings = append(findings, checkBuildContext(filepath.Dir(file), stages)...)
	}
	if len(findings) == 0 && cl.last("build") != "" {
		findings = append(findings, buildLikeDockerfile(filepath.Dir(file), stages, out)...)
	}
	return report(out, file, findings)
}

// lintDockerfile parses dt as buildkit does and runs its linter over every
// stage; each parser warning, lint warning or build error is a finding.
func lintDockerfile(ctx context.Context, name string, dt []byte) ([]string, []instructions.Stage, error) {
	var findings []string
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return []string{fmt.Sprintf("%s: parse: %v", name, err)}, nil, nil
	}
	for _, w := range res.Warnings {
		findings = append(findings, fmt.Sprintf("%s:%d: parser: %s", name, w.Location.Start.Line, w.Short))
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return append(findings, fmt.Sprintf("%s: instructions: %v", name, err)), nil, nil
	}

	lintSrc, offset := dt, 0
	if _, _, _, ok := parser.ParseDirective("check", dt); !ok {
		lintSrc, offset = append([]byte(experimentalDirective), dt...), 1
	}
	sm := llb.NewSourceMap(nil, name, "Dockerfile", lintSrc)
	// The linter records the source with its LLB definition; without one it
	// dereferences nil.
	sm.Definition = &llb.Definition{}
	results, err := dockerfile2llb.DockerfileLint(ctx, lintSrc, dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{BuildPlatforms: []ocispecs.Platform{linuxAMD64}},
		SourceMap:      sm,
		TargetPlatform: &linuxAMD64,
		MetaResolver:   offlineResolver{},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lint %s: %w", name, err)
	}
	for _, w := range results.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 && w.Location.Ranges[0].Start != nil {
			line = int(w.Location.Ranges[0].Start.Line) - offset
		}
		findings = append(findings, fmt.Sprintf("%s:%d: %s: %s (%s)", name, line, w.RuleName, w.Detail, w.URL))
	}
	if results.Error != nil {
		findings = append(findings, fmt.Sprintf("%s: build error: %s", name, results.Error.Message))
	}
	return findings, stages, nil
}

var linuxAMD64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// offlineResolver stands in for a registry: every image exists, for the
// platform asked, with an empty config. The linter resolves base images to
// check their platform and environment; a real resolver would go online.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := linuxAMD64
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg, err := json.Marshal(ocispecs.Image{
		Platform: p,
		Config:   ocispecs.ImageConfig{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(cfg), cfg, nil
}

// buildLikeDockerfile runs, in dir, every RUN command of the Dockerfile that
// invokes "go build", with the stage's ARG defaults and the host platform as
// TARGETOS/TARGETARCH, and then checks that each file a later stage copies
// from that build stage's WORKDIR exists in dir. It proves the Dockerfile's
// build command works on this source tree, without a Docker engine.
func buildLikeDockerfile(dir string, stages []instructions.Stage, out io.Writer) []string {
	var findings []string
	built := map[string]string{} // stage name -> workdir of a stage that ran go build
	for _, st := range stages {
		env := map[string]string{
			"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH,
			"TARGETPLATFORM": runtime.GOOS + "/" + runtime.GOARCH,
			"BUILDOS":        runtime.GOOS, "BUILDARCH": runtime.GOARCH,
		}
		workdir := "/"
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.WorkdirCommand:
				workdir = path.Join(workdir, c.Path)
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					if a.Value != nil {
						if _, set := env[a.Key]; !set {
							env[a.Key] = *a.Value
						}
					}
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					env[kv.Key] = kv.Value
				}
			case *instructions.RunCommand:
				script := strings.Join(c.CmdLine, " ")
				if !strings.Contains(script, "go build") {
					continue
				}
				if !c.PrependShell {
					findings = append(findings, fmt.Sprintf("stage %s: RUN %q is in exec form; the validator runs shell form only", st.Name, script))
					continue
				}
				fmt.Fprintf(out, "running (stage %s, as the Dockerfile does): %s\n", st.Name, script)
				sh := exec.Command("sh", "-c", script)
				sh.Dir = dir
				sh.Env = os.Environ()
				for k, v := range env {
					sh.Env = append(sh.Env, k+"="+v)
				}
				if output, err := sh.CombinedOutput(); err != nil {
					findings = append(findings, fmt.Sprintf("stage %s: %s: %v\n%s", st.Name, script, err, output))
					continue
				}
				built[strings.ToLower(st.Name)] = workdir
			}
		}
	}
	if len(built) == 0 && len(findings) == 0 {
		findings = append(findings, "no RUN command runs \"go build\"")
	}
	for _, st := range stages {
		for _, cmd := range st.Commands {
			c, ok := cmd.(*instructions.CopyCommand)
			if !ok || c.From == "" {
				continue
			}
			workdir, ok := built[strings.ToLower(c.From)]
			if !ok {
				continue
			}
			for _, src := range c.SourcePaths {
				rel, err := filepath.Rel(workdir, path.Clean(src))
				if err != nil || strings.HasPrefix(rel, "..") {
					findings = append(findings, fmt.Sprintf("stage %s copies %s from outside the build stage's WORKDIR %s", st.Name, src, workdir))
					continue
				}
				if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
					findings = append(findings, fmt.Sprintf("stage %s copies %s, which the build did not produce: %v", st.Name, src, err))
				}
			}
		}
	}
	return findings
}

// checkBuildContext checks that every file the default target copies from
// the build context (COPY and ADD without --from, in the stages the last
// stage depends on) exists in dir and is not excluded by .dockerignore, as
// "docker build dir" needs. Sources with variables are skipped: they name
// files of other contexts (GoReleaser's, for the release target).
func checkBuildContext(dir string, stages []instructions.Stage) []string {
	if len(stages) == 0 {
		return []string{"no stages"}
	}
	var patterns []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return []string{fmt.Sprintf(".dockerignore: %v", err)}
		}
	}
	ignore, err := patternmatcher.New(patterns)
	if err != nil {
		return []string{fmt.Sprintf(".dockerignore: %v", err)}
	}

	index := map[string]int{}
	for i, st := range stages {
		if st.Name != "" {
			index[strings.ToLower(st.Name)] = i
		}
	}
	reachable := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if reachable[i] {
			return
		}
		reachable[i] = true
		if j, ok := index[strings.ToLower(stages[i].BaseName)]; ok {
			visit(j)
		}
		for _, cmd := range stages[i].Commands {
			if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" {
				if j, ok := index[strings.ToLower(c.From)]; ok {
					visit(j)
				}
			}
		}
	}
	visit(len(stages) - 1)

	var findings []string
	for i, st := range stages {
		if !reachable[i] {
			continue
		}
		for _, cmd := range st.Commands {
			var sources []string
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					sources = c.SourcePaths
				}
			case *instructions.AddCommand:
				sources = c.SourcePaths
			}
			for _, src := range sources {
				if strings.Contains(src, "$") || strings.Contains(src, "://") {
					continue
				}
				matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(src)))
				usable := 0
				for _, m := range matches {
					rel, err := filepath.Rel(dir, m)
					if err != nil {
						continue
					}
					if rel == "." {
						usable++
						continue
					}
					excluded, err := ignore.MatchesOrParentMatches(filepath.ToSlash(rel))
					if err == nil && !excluded {
						usable++
					}
				}
				if usable == 0 {
					findings = append(findings, fmt.Sprintf("stage %s: %s %s: not in the build context %s (missing, or excluded by .dockerignore)", stageName(st, i), cmd.Name(), src, dir))
				}
			}
		}
	}
	return findings
}

func stageName(st instructions.Stage, i int) string {
	if st.Name != "" {
		return st.Name
	}
	return fmt.Sprint(i)
}
