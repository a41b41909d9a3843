package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	corev1 "k8s.io/api/core/v1"
)

// schemaRejection is how helm prefixes a values.schema.json failure.
const schemaRejection = "values don't meet the specifications of the schema"

// optionalKinds are the resources the chart renders only when turned on;
// --all-options requires each of them.
var optionalKinds = []string{
	"Ingress", "HTTPRoute", "HorizontalPodAutoscaler", "PodDisruptionBudget",
	"NetworkPolicy", "ServiceMonitor", "RequestAuthentication", "AuthorizationPolicy",
}

// builtinRejects are values every strict schema must refuse, whatever else
// the chart's --reject files test.
var builtinRejects = map[string]string{
	"unknown top-level key": "notAValueOfThisChart: true\n",
}

// valueSet is one rendering of the chart: the chart's defaults overlaid with
// one values file (none for "default").
type valueSet struct {
	name       string
	file       string
	values     map[string]interface{}
	allOptions bool
}

func runHelm(args []string, out io.Writer) error {
	cl, err := parseArgs(args, nil, []string{"values", "all-options", "reject", "namespace", "dump", "check-config"})
	if err != nil {
		return err
	}
	chartDir, err := cl.one("chart directory")
	if err != nil {
		return err
	}
	namespace := cl.last("namespace")
	if namespace == "" {
		namespace = "mcp"
	}
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return fmt.Errorf("load chart %s: %w", chartDir, err)
	}

	sets := []valueSet{{name: "default", values: map[string]interface{}{}}}
	for _, flag := range []string{"values", "all-options"} {
		for _, f := range cl.flags[flag] {
			vals, err := chartutil.ReadValuesFile(f)
			if err != nil {
				return fmt.Errorf("read values %s: %w", f, err)
			}
			sets = append(sets, valueSet{name: filepath.Base(f), file: f, values: vals, allOptions: flag == "all-options"})
		}
	}

	var findings []string
	if chrt.Schema == nil {
		findings = append(findings, "chart has no values.schema.json")
	}
	for _, set := range sets {
		findings = append(findings, checkValueSet(chrt, chartDir, namespace, set, cl.last("dump"), cl.last("check-config"), out)...)
	}

	rejects, err := rejectCases(cl.flags["reject"])
	if err != nil {
		return err
	}
	for _, rc := range rejects {
		_, err := renderChart(chrt, rc.values, namespace)
		switch {
		case err == nil:
			findings = append(findings, fmt.Sprintf("values %s: accepted, but values.schema.json must reject it", rc.name))
		case !strings.Contains(err.Error(), schemaRejection):
			findings = append(findings, fmt.Sprintf("values %s: refused, but not by values.schema.json: %v", rc.name, err))
		default:
			fmt.Fprintf(out, "rejected as expected: %s: %s\n", rc.name, oneLine(err.Error()))
		}
	}
	return report(out, "chart "+chartDir, findings)
}

// checkValueSet lints and renders the chart with one set of values and checks
// every manifest it renders.
//
// With checkConfigBin, the server binary judges the config.toml the chart
// renders: "BIN --config FILE --check" must accept it, so the chart never
// ships a configuration the server refuses at start-up.
func checkValueSet(chrt *chart.Chart, chartDir, namespace string, set valueSet, dumpDir, checkConfigBin string, out io.Writer) []string {
	var findings []string
	where := "values " + set.name

	linter := lint.All(chartDir, set.values, namespace, true)
	for _, msg := range linter.Messages {
		line := fmt.Sprintf("%s: helm lint %s", where, msg)
		if msg.Severity >= support.WarningSev {
			findings = append(findings, line)
		} else {
			fmt.Fprintln(out, line)
		}
	}

	rendered, err := renderChart(chrt, set.values, namespace)
	if err != nil {
		return append(findings, fmt.Sprintf("%s: render: %v", where, err))
	}
	if dumpDir != "" {
		if err := dump(filepath.Join(dumpDir, set.name), rendered); err != nil {
			findings = append(findings, fmt.Sprintf("%s: dump: %v", where, err))
		}
	}

	var objects []manifest
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		content := rendered[name]
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		if base == "NOTES.txt" {
			if strings.TrimSpace(content) == "" {
				findings = append(findings, fmt.Sprintf("%s: %s renders empty", where, name))
			}
			continue
		}
		docs := releaseutil.SplitManifests(content)
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			doc := docs[k]
			if isBlankYAML(doc) {
				continue
			}
			m, errs := decodeManifest([]byte(doc))
			for _, e := range errs {
				findings = append(findings, fmt.Sprintf("%s: %s: %v", where, name, e))
			}
			if m != nil && m.obj != nil {
				m.source = name
				objects = append(objects, *m)
			}
		}
	}

	kinds := map[string]int{}
	var summary []string
	for _, o := range objects {
		kinds[o.kind]++
		summary = append(summary, o.kind+"/"+o.name)
	}
	fmt.Fprintf(out, "%s: rendered %s\n", where, strings.Join(summary, " "))
	for _, f := range checkPolicies(objects) {
		findings = append(findings, fmt.Sprintf("%s: %s", where, f))
	}
	if checkConfigBin != "" {
		for _, f := range checkRenderedConfig(checkConfigBin, objects) {
			findings = append(findings, fmt.Sprintf("%s: %s", where, f))
		}
	}
	if set.allOptions {
		for _, k := range optionalKinds {
			if kinds[k] == 0 && declares(chrt, k) {
				findings = append(findings, fmt.Sprintf("%s: --all-options but no %s rendered", where, k))
			}
		}
	}
	return findings
}

// declares reports whether a template of the chart can render a resource of
// kind: a chart without a kind's template (a server generated without
// observability has no ServiceMonitor) is not asked for one.
func declares(chrt *chart.Chart, kind string) bool {
	for _, t := range chrt.Templates {
		if strings.Contains(string(t.Data), "\nkind: "+kind+"\n") {
			return true
		}
	}
	return false
}

// renderChart renders the chart as "helm template" would for a release named
// after the chart, after checking the values against values.schema.json.
// Rendering is strict: a template reading a value that does not exist fails.
func renderChart(chrt *chart.Chart, vals map[string]interface{}, namespace string) (map[string]string, error) {
	opts := chartutil.ReleaseOptions{Name: chrt.Name(), Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(chrt, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	e := engine.Engine{Strict: true}
	return e.Render(chrt, top)
}

// rejectCase is a set of values the schema must refuse.
type rejectCase struct {
	name   string
	values map[string]interface{}
}

// rejectCases reads the --reject files (a directory means its *.yaml files)
// and adds the built-in cases.
func rejectCases(paths []string) ([]rejectCase, error) {
	var cases []rejectCase
	for name, doc := range builtinRejects {
		vals, err := chartutil.ReadValues([]byte(doc))
		if err != nil {
			return nil, err
		}
		cases = append(cases, rejectCase{name: "built-in " + name, values: vals})
	}
	for _, p := range paths {
		files := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files, err = filepath.Glob(filepath.Join(p, "*.yaml"))
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("--reject %s: no *.yaml files in the directory", p)
			}
		}
		for _, f := range files {
			vals, err := chartutil.ReadValuesFile(f)
			if err != nil {
				return nil, fmt.Errorf("read values %s: %w", f, err)
			}
			cases = append(cases, rejectCase{name: f, values: vals})
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	return cases, nil
}

// dump writes the rendered files under dir, for inspection and for tests
// that feed them to other tools (the server's --check, for one).
func dump(dir string, rendered map[string]string) error {
	for name, content := range rendered {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// isBlankYAML reports whether a document holds only comments and blank lines.
func isBlankYAML(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" {
			return false
		}
	}
	return true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// checkRenderedConfig runs "bin --config FILE --check" on the config.toml of
// every rendered ConfigMap and returns one finding per refusal.
func checkRenderedConfig(bin string, objects []manifest) []string {
	var findings []string
	for _, o := range objects {
		cm, ok := o.obj.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		doc, ok := cm.Data["config.toml"]
		if !ok {
			continue
		}
		f, err := os.CreateTemp("", "chart-config-*.toml")
		if err != nil {
			return append(findings, err.Error())
		}
		_, werr := f.WriteString(doc)
		f.Close()
		if werr != nil {
			os.Remove(f.Name())
			return append(findings, werr.Error())
		}
		cmd := exec.Command(bin, "--config", f.Name(), "--check")
		output, err := cmd.CombinedOutput()
		os.Remove(f.Name())
		if err != nil {
			findings = append(findings, fmt.Sprintf("ConfigMap %s: the server refuses the rendered config.toml: %v\n%s", cm.Name, err, output))
		}
	}
	return findings
}
