package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/generator"
)

// BenchmarkVersusMCPGo measures what a generated server costs over the
// library it wraps: tools/call hello_world over streamable HTTP from 32
// concurrent clients against a bare mcp-go server (testdata/bench/baresrv,
// the baseline) and against generated servers, each alone, in interleaved
// rounds of one run. Each server runs pinned to CPU 0 and the load
// generator (testdata/bench/mcpload, a separate process) to CPU 1 when the
// machine has two CPUs and taskset; the method of testdata/bench/compare.sh.
//
// Reported, as medians over the rounds (b.N of them):
//
//   - rps-<server>-<era>: calls per second;
//   - x-<server>-<era>: that rate as a ratio to bare mcp-go's in the same
//     round and era (the median of the rounds' ratios);
//   - cpuµs-<server>-<era>: the server's CPU time per call;
//   - xcpu-<server>-<era>: bare mcp-go's CPU per call over this server's,
//     which a noisy machine disturbs less than the rates;
//
// for the servers none (auth none, the defaults: access log, argument
// validation) and jwt (jwt-local, two CEL conditions, access log), and the
// eras handshake (2025-11-25, sessions) and stateless (2026-07-28).
// baretoken is bare mcp-go sent the jwt server's bearer token, which it
// ignores: the part of jwt's cost that is only carrying the token.
// Targets of issue 11: x-none-handshake >= 0.85, x-jwt-handshake >= 0.75.
//
// none and jwt have observability (the default) with metrics on and tracing
// off; noobs is none generated with --no-observability, and otel is none
// with metrics on and every call traced (OTEL_TRACES_SAMPLER=always_on) to
// an OTLP/HTTP endpoint (testdata/bench/otlpsink, a separate process on the
// load generator's CPU, as a collector is not on the server's). What
// observability costs (targets of issue 13: at least 0.95) is measured with
// noobs, none and otel running at once, the load generator switching
// between them every 100ms (mcpload -alt): the machine's spells, which last
// seconds and moved two runs one after the other by a quarter, then fall on
// all alike. Reported as medians over the rounds, each of which starts the
// servers anew and lets another one go first:
//
//   - obs-<era>: otel's rate over noobs' (tracing and metrics);
//   - obscpu-<era>: noobs' CPU per call over otel's;
//   - metrics-<era>, metricscpu-<era>: the same of none (metrics, the
//     default), which keeps issue 11's ratios within 5%.
//
// MCPFORGE_BENCH_DURATION sets the length of one measurement (default 3s);
// MCPFORGE_BENCH_TARGETS, a comma-separated list of the servers' names,
// measures only those (noobs,none,otel for the cost of observability alone).
//
//	go test ./cmd/mcpforge -run '^$' -bench VersusMCPGo -benchtime 3x
func BenchmarkVersusMCPGo(b *testing.B) {
	dur := 3 * time.Second
	if d, err := time.ParseDuration(os.Getenv("MCPFORGE_BENCH_DURATION")); err == nil {
		dur = d
	}
	tools := b.TempDir()
	goCmd(b, filepath.Join("..", ".."), "build", "-o", tools, "./testdata/bench/baresrv", "./testdata/bench/mcpload", "./testdata/bench/otlpsink")
	noneBin := benchServer(b, "none", "--auth", "none")
	noObsBin := benchServer(b, "noobs", "--auth", "none", "--no-observability")
	jwtBin := benchServer(b, "jwt", "--auth", "jwt-local")
	// Metrics on a free port: the default one may be taken on this machine.
	metricsEnv := func(name string) string { return generator.EnvPrefix(name) + "_TELEMETRY_METRICS_ADDR=127.0.0.1:0" }
	pin := func(cpu string, args []string) []string {
		if _, err := exec.LookPath("taskset"); err == nil && numCPU() >= 2 {
			return append([]string{"taskset", "-c", cpu}, args...)
		}
		return args
	}
	// The collector of otel's spans, with the load generator: on the
	// server's CPU it would take turns with the server.
	otlp, _, stopSink := startBenchServer(b, pin("1", []string{filepath.Join(tools, "otlpsink"), "-addr", "127.0.0.1:0"}), nil, false)
	b.Cleanup(stopSink)
	issuer := newJWKSIssuer(b)
	prefix := generator.EnvPrefix("jwt")

	bearer := func(base string) []string {
		return []string{"-H", "Authorization: Bearer " + issuer.mint(b, base, claims{"sub": "bench", "scope": "tool:user"}, nil)}
	}
	targets := []benchTarget{
		{name: "bare", args: []string{filepath.Join(tools, "baresrv"), "-addr", "127.0.0.1:0"}},
		// The same bare server sent the bytes of the jwt server's token,
		// which it ignores: what carrying a bearer token costs HTTP/1.1
		// before any validation.
		{name: "baretoken", args: []string{filepath.Join(tools, "baresrv"), "-addr", "127.0.0.1:0"}, auth: bearer},
		{name: "none", args: []string{noneBin, "--transport", "http", "--addr", "127.0.0.1:0"}, env: []string{metricsEnv("none")}},
		{name: "noobs", args: []string{noObsBin, "--transport", "http", "--addr", "127.0.0.1:0"}},
		{name: "otel", args: []string{noneBin, "--transport", "http", "--addr", "127.0.0.1:0"},
			env: []string{
				metricsEnv("none"),
				"OTEL_EXPORTER_OTLP_ENDPOINT=" + otlp,
				"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
				"OTEL_TRACES_SAMPLER=always_on",
			}},
		{name: "jwt", args: []string{jwtBin, "--transport", "http", "--addr", "127.0.0.1:0"},
			env: []string{
				metricsEnv("jwt"),
				prefix + "_MIDDLEWARE_JWT_LOCAL_ISSUER=" + issuer.url,
				prefix + "_MIDDLEWARE_JWT_LOCAL_JWKS_URI=" + issuer.url + "/jwks",
				prefix + `_MIDDLEWARE_JWT_LOCAL_ALLOW_CONDITIONS=["claims.sub != \"\"", "request.method == \"POST\" || request.method == \"GET\" || request.method == \"DELETE\""]`,
				prefix + "_MIDDLEWARE_ACCESS_LOG_ENABLED=true",
				prefix + "_OAUTH_ENABLED=false",
			},
			auth: bearer},
	}
	if only := os.Getenv("MCPFORGE_BENCH_TARGETS"); only != "" {
		names := strings.Split(only, ",")
		targets = slices.DeleteFunc(targets, func(tg benchTarget) bool { return !slices.Contains(names, tg.name) })
		if len(targets) == 0 {
			b.Fatalf("MCPFORGE_BENCH_TARGETS %q names none of the servers: bare, baretoken, none, noobs, otel, jwt", only)
		}
	}
	eras := []struct{ name, proto string }{{"handshake", "2025-11-25"}, {"stateless", "2026-07-28"}}

	rates := map[string][]float64{} // calls per second
	cpus := map[string][]float64{}  // server CPU µs per call
	// The servers that take turns, noobs (the reference) first, when it
	// and another one are measured; per metric, the rounds' ratios of each
	// other one to noobs.
	var turns []*benchTarget
	for _, name := range []string{"noobs", "none", "otel"} {
		if i := slices.IndexFunc(targets, func(tg benchTarget) bool { return tg.name == name }); i >= 0 {
			turns = append(turns, &targets[i])
		}
	}
	if len(turns) < 2 || turns[0].name != "noobs" {
		turns = nil
	}
	turnMetric := map[string][2]string{"otel": {"obs", "obscpu"}, "none": {"metrics", "metricscpu"}}
	turnRatios := map[string][]float64{}
	// Without bare, a server taking turns has nothing to be measured
	// alone against.
	withBare := slices.ContainsFunc(targets, func(tg benchTarget) bool { return tg.name == "bare" })
	measureAlone := func(tg benchTarget) bool {
		return withBare || !slices.ContainsFunc(turns, func(t *benchTarget) bool { return t.name == tg.name })
	}
	for round := 0; b.Loop(); round++ {
		for _, era := range eras {
			if turns != nil {
				turnRates, turnCPUs := takeTurns(b, tools, pin, turns, round, dur, era.proto)
				for i, tg := range turns[1:] {
					m := turnMetric[tg.name]
					rate, cpu := turnRates[i+1]/turnRates[0], turnCPUs[0]/turnCPUs[i+1]
					fmt.Fprintf(os.Stderr, "round %d %-20s taking turns with noobs: rate %.3f, CPU per call %.3f\n", round, tg.name+"-"+era.name, rate, cpu)
					turnRatios[m[0]+"-"+era.name] = append(turnRatios[m[0]+"-"+era.name], rate)
					turnRatios[m[1]+"-"+era.name] = append(turnRatios[m[1]+"-"+era.name], cpu)
				}
			}
			// Each round starts one server further along: no server is
			// always measured right after the baseline, or long after it.
			for i := range targets {
				tg := targets[(i+round)%len(targets)]
				if !measureAlone(tg) {
					continue
				}
				base, pid, stop := startBenchServer(b, pin("0", tg.args), tg.env, !strings.HasPrefix(tg.name, "bare"))
				load := []string{filepath.Join(tools, "mcpload"), "-url", base + "/mcp", "-c", "32",
					"-d", dur.String(), "-warmup", "500ms", "-proto", era.proto}
				if tg.auth != nil {
					load = append(load, tg.auth(base)...)
				}
				load = pin("1", load)
				cpu0 := cpuTime(b, pid)
				out, err := exec.Command(load[0], load[1:]...).Output()
				cpu := cpuTime(b, pid) - cpu0
				stop()
				if err != nil {
					b.Fatalf("mcpload against %s (%s): %v\n%s", tg.name, era.name, err, out)
				}
				var res loadReport
				if err := json.Unmarshal(out, &res); err != nil {
					b.Fatalf("mcpload output %q: %v", out, err)
				}
				if res.Errors > 0 {
					b.Fatalf("%s (%s): %d failed calls, e.g. %s", tg.name, era.name, res.Errors, res.Sample)
				}
				key := tg.name + "-" + era.name
				// To stderr: the testing package keeps only the first
				// lines a benchmark logs, and every round counts.
				fmt.Fprintf(os.Stderr, "round %d %-20s %8.0f calls/s %7.1f µs CPU/call\n", round, key, res.RPS, cpu.Seconds()*1e6/res.Requests)
				rates[key] = append(rates[key], res.RPS)
				// The warm-up's calls are not counted but its CPU is: a
				// slight overestimate, the same for every server.
				cpus[key] = append(cpus[key], cpu.Seconds()*1e6/res.Requests)
			}
		}
	}
	for _, era := range eras {
		bare, bareCPU := rates["bare-"+era.name], cpus["bare-"+era.name]
		for _, tg := range targets {
			key := tg.name + "-" + era.name
			if len(rates[key]) == 0 {
				continue // it only took turns
			}
			b.ReportMetric(median(rates[key]), "rps-"+key)
			b.ReportMetric(median(cpus[key]), "cpuµs-"+key)
			if tg.name != "bare" && len(bare) > 0 {
				b.ReportMetric(medianRatio(rates[key], bare), "x-"+key)
				b.ReportMetric(medianRatio(bareCPU, cpus[key]), "xcpu-"+key)
			}
		}
		for _, m := range turnMetric {
			for _, name := range m {
				if r := turnRatios[name+"-"+era.name]; len(r) > 0 {
					b.ReportMetric(median(r), name+"-"+era.name)
				}
			}
		}
	}
}

// takeTurns starts the servers tgs on one CPU and loads them for dur from
// one load generator that switches between them every 100ms, starting
// with the one after round ones. It returns each one's calls per second
// and CPU time per call, in the order of tgs.
func takeTurns(b *testing.B, tools string, pin func(string, []string) []string, tgs []*benchTarget, round int, dur time.Duration, proto string) (rates, cpus []float64) {
	b.Helper()
	// order[j] is the index in tgs of the j-th server to take its turn.
	order := make([]int, len(tgs))
	pids := make([]int, len(tgs))
	load := []string{filepath.Join(tools, "mcpload"), "-slice", "100ms", "-c", "32", "-d", dur.String(), "-warmup", "500ms", "-proto", proto}
	for j := range order {
		order[j] = (j + round) % len(tgs)
		tg := tgs[order[j]]
		base, pid, stop := startBenchServer(b, pin("0", tg.args), tg.env, true)
		defer stop()
		pids[order[j]] = pid
		flag := "-alt"
		if j == 0 {
			flag = "-url"
		}
		load = append(load, flag, base+"/mcp")
	}
	load = pin("1", load)
	cpu0 := make([]time.Duration, len(tgs))
	for i, pid := range pids {
		cpu0[i] = cpuTime(b, pid)
	}
	out, err := exec.Command(load[0], load[1:]...).Output()
	used := make([]time.Duration, len(tgs))
	for i, pid := range pids {
		used[i] = cpuTime(b, pid) - cpu0[i]
	}
	if err != nil {
		b.Fatalf("mcpload taking turns: %v\n%s", err, out)
	}
	var res struct {
		loadReport
		Alt []loadReport `json:"alt"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("mcpload output %q: %v", out, err)
	}
	reports := append([]loadReport{res.loadReport}, res.Alt...)
	if len(reports) != len(tgs) {
		b.Fatalf("mcpload reported on %d servers, want %d: %s", len(reports), len(tgs), out)
	}
	rates, cpus = make([]float64, len(tgs)), make([]float64, len(tgs))
	for j, r := range reports {
		i := order[j]
		if r.Errors > 0 || r.Requests == 0 {
			b.Fatalf("%s: %d of %.0f calls failed, e.g. %s", tgs[i].name, r.Errors, r.Requests, r.Sample)
		}
		rates[i], cpus[i] = r.RPS, used[i].Seconds()*1e6/r.Requests
	}
	return rates, cpus
}

// benchTarget is a server BenchmarkVersusMCPGo measures.
type benchTarget struct {
	name string
	args []string
	env  []string
	auth func(base string) []string // extra load-generator flags
}

// loadReport is what the benchmarks read of mcpload's output.
type loadReport struct {
	RPS      float64 `json:"rps"`
	Requests float64 `json:"requests"`
	Errors   int     `json:"errors"`
	Sample   string  `json:"error_sample"`
}

// medianRatio is the median over the rounds of a[i]/b[i]: each ratio is of
// two measurements of one round, seconds apart, so that the machine's
// slower and faster spells, which last longer than a measurement, cancel
// out rather than land on one server of the pair.
func medianRatio(a, b []float64) float64 {
	r := make([]float64, min(len(a), len(b)))
	for i := range r {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func numCPU() int {
	n := 0
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "processor") {
			n++
		}
	}
	return n
}

var benchAddr = regexp.MustCompile(`"?addr"?[=:]"?(127\.0\.0\.1:\d+)`)

// cpuTime is the CPU time (user and system) process pid has used.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatalf("read the server's CPU time: %v", err)
	}
	// The fields after the command name, which is in parentheses.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// startBenchServer starts args and waits until it prints its address (and,
// for a generated server, until /ready answers); stop ends it.
func startBenchServer(b *testing.B, args, env []string, generated bool) (base string, pid int, stop func()) {
	b.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := benchAddr.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		// The rest (the access log) is drained as cheaply as compare.sh's
		// redirection to /dev/null: scanning every line here would take
		// CPU from the server or the load generator.
		_, _ = io.Copy(io.Discard, stderr)
	}()
	pid = cmd.Process.Pid // taskset execs the server in its place
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	select {
	case addr := <-found:
		base = "http://" + addr
	case <-time.After(20 * time.Second):
		stop()
		b.Fatalf("%s did not print its address", args)
	}
	if generated {
		// jwt-local serves once its keys are loaded.
		if resp, err := waitReady(base); err == nil {
			resp.Body.Close()
		}
	}
	return base, pid, stop
}

// benchServer generates and builds an HTTP-only server called name.
func benchServer(b *testing.B, name string, extra ...string) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), name)
	var out, errOut bytes.Buffer
	args := append([]string{"new", name, "--dir", dir, "--transport", "http", "--deploy", "none", "--yes", "--no-git"}, extra...)
	if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		b.Fatalf("mcpforge new %s: exit %d: %s", name, code, errOut.String())
	}
	bin := filepath.Join(b.TempDir(), name)
	goCmd(b, dir, "build", "-o", bin, "./cmd/"+name)
	return bin
}
