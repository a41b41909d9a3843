package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests prove the validators fail on what they must catch: a
// validator that passes everything would let broken artifacts through.

func TestLintDockerfile(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		wantRules  []string // empty: clean
	}{
		{
			name: "clean multi-stage",
			dockerfile: `FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`,
		},
		{
			name: "casing, legacy ENV, shell-form CMD, undefined variable",
			dockerfile: `FROM golang:1.26.8 as build
ENV GOFLAGS -trimpath
COPY $UNDEFINED_THING /x
CMD /app
`,
			wantRules: []string{"FromAsCasing", "LegacyKeyValueFormat", "UndefinedVar", "JSONArgsRecommended"},
		},
		{
			name: "experimental rule: stage description",
			dockerfile: `# compiles things
FROM golang:1.26.8 AS build
RUN true
`,
			wantRules: []string{"InvalidDefinitionDescription"},
		},
		{
			name:       "unknown instruction",
			dockerfile: "FROM scratch\nFOO bar\n",
			wantRules:  []string{"unknown instruction"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			findings, _, err := lintDockerfile(context.Background(), "Dockerfile", []byte(tc.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(findings, "\n")
			if len(tc.wantRules) == 0 && len(findings) > 0 {
				t.Fatalf("want no findings, got:\n%s", all)
			}
			for _, rule := range tc.wantRules {
				if !strings.Contains(strings.ToLower(all), strings.ToLower(rule)) {
					t.Errorf("want a %s finding, got:\n%s", rule, all)
				}
			}
		})
	}
}

func TestLintDockerfileLineNumbers(t *testing.T) {
	// The experimental directive prepended for the linter must not shift the
	// reported line.
	findings, _, err := lintDockerfile(context.Background(), "Dockerfile", []byte("FROM scratch\n\nENV A b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || !strings.HasPrefix(findings[0], "Dockerfile:3: LegacyKeyValueFormat") {
		t.Fatalf("want one LegacyKeyValueFormat finding on line 3, got %q", findings)
	}
}

func TestBuildLikeDockerfile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/app\n\ngo 1.26\n")
	write(t, dir, "main.go", "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n")
	good := "FROM golang:1.26.8 AS build\nWORKDIR /src\nCOPY . .\nARG VERSION=dev\nRUN CGO_ENABLED=0 go build -ldflags \"-X main.version=$VERSION\" -o bin/app .\n\nFROM scratch\nCOPY --from=build /src/bin/app /app\n"
	if findings := buildFindings(t, dir, good); len(findings) > 0 {
		t.Fatalf("want no findings, got %q", findings)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "app")); err != nil {
		t.Fatalf("the build did not produce bin/app: %v", err)
	}
	wrongCopy := strings.Replace(good, "/src/bin/app /app", "/src/bin/other /app", 1)
	if findings := buildFindings(t, dir, wrongCopy); len(findings) != 1 || !strings.Contains(findings[0], "did not produce") {
		t.Fatalf("want a finding for copying a file the build did not produce, got %q", findings)
	}
	broken := strings.Replace(good, "-o bin/app .", "-o bin/app ./missing", 1)
	if findings := buildFindings(t, dir, broken); len(findings) == 0 {
		t.Fatal("want a finding for a failing go build")
	}
}

func TestCheckBuildContext(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/app\n")
	write(t, dir, "config.toml", "")
	write(t, dir, "secret.key", "")
	write(t, dir, ".dockerignore", "*.key\n")
	dockerfile := `FROM golang:1.26.8 AS build
COPY go.mod ./
COPY go.sum ./

FROM scratch AS release
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/app /app
COPY only-in-release /x

FROM scratch
COPY --from=build /src/app /app
COPY config.toml secret.key /etc/
`
	_, stages, err := lintDockerfile(context.Background(), "Dockerfile", []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	findings := checkBuildContext(dir, stages)
	all := strings.Join(findings, "\n")
	if len(findings) != 2 || !strings.Contains(all, "go.sum") || !strings.Contains(all, "secret.key") {
		t.Fatalf("want findings for the missing go.sum and the ignored secret.key only (not the release stage), got:\n%s", all)
	}
}

func buildFindings(t *testing.T, dir, dockerfile string) []string {
	t.Helper()
	_, stages, err := lintDockerfile(context.Background(), "Dockerfile", []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	return buildLikeDockerfile(dir, stages, &bytes.Buffer{})
}

func TestDecodeManifest(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string // empty: valid
	}{
		{"deployment", deployment(""), ""},
		{"deployment with a misspelt field", deployment("          containerPorts: []\n"), "unknown field"},
		{"field with the wrong case", deployment("          ImagePullPolicy: Always\n"), "unknown field"},
		{"duplicate field", deployment("          image: other\n"), `key "image" already set`},
		{"service", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - port: 80\n      targetPort: http\n", ""},
		{"service with a misspelt field", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  sessionAfinity: None\n", "unknown field"},
		{"httproute", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\nspec:\n  parentRefs:\n    - name: gw\n", ""},
		{"httproute with a misspelt field", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\nspec:\n  parentRef:\n    - name: gw\n", "unknown field"},
		{"servicemonitor with a misspelt field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\nspec:\n  endpoint: []\n", "unknown field"},
		{"istio requestauthentication", "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata:\n  name: ra\nspec:\n  jwtRules:\n    - issuer: https://i\n      outputPayloadToHeader: x-jwt\n", ""},
		{"istio requestauthentication with a misspelt field", "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata:\n  name: ra\nspec:\n  jwtRules:\n    - issuer: https://i\n      outputPayloadToHeaders: x-jwt\n", "outputPayloadToHeaders"},
		{"istio authorizationpolicy with a bad action", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ap\nspec:\n  action: MAYBE\n", "MAYBE"},
		{"unknown kind", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", "no Go type"},
		{"missing name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "metadata.name"},
		{"invalid name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n", "metadata.name"},
		{"invalid label value", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    a: \"has space\"\n", "label"},
		{"malformed yaml", "apiVersion: v1\nkind: [\n", "YAML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeManifest([]byte(tc.doc))
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Fatalf("want no error, got:\n%s", all)
			case tc.wantErr != "" && !strings.Contains(all, tc.wantErr):
				t.Fatalf("want an error containing %q, got:\n%s", tc.wantErr, all)
			}
		})
	}
}

// deployment is a valid Deployment, with extra lines appended to its
// container.
func deployment(extra string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector:
    matchLabels: {app: d}
  template:
    metadata:
      labels: {app: d}
    spec:
      containers:
        - name: c
          image: example
` + extra
}

func TestHelm(t *testing.T) {
	chart := t.TempDir()
	write(t, chart, "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: \"1\"\nicon: https://example.com/icon.png\n")
	write(t, chart, "values.yaml", "replicas: 1\nport: 8080\n")
	write(t, chart, "values.schema.json", `{"type":"object","additionalProperties":false,"properties":{"replicas":{"type":"integer"},"port":{"type":"integer"}}}`)
	write(t, chart, "templates/NOTES.txt", "installed\n")
	write(t, chart, "templates/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  config.toml: |\n    port = {{ .Values.port }}\n")
	write(t, chart, "templates/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: server
          image: example
          ports: [{name: http, containerPort: 8080}]
          livenessProbe: {httpGet: {path: /health, port: http}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          resources:
            requests: {cpu: 10m}
            limits: {memory: 64Mi}
          volumeMounts: [{name: tmp, mountPath: /tmp}, {name: config, mountPath: /etc/demo}]
      volumes: [{name: tmp, emptyDir: {}}, {name: config, configMap: {name: demo}}]
`)
	write(t, chart, "templates/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: demo\nspec:\n  selector: {app: demo}\n  ports: [{name: http, port: 80, targetPort: http}]\n")
	bad := t.TempDir()
	write(t, bad, "wrong-type.yaml", "replicas: two\n")

	if code, out := runValidate(t, "helm", chart, "--reject", bad); code != 0 {
		t.Fatalf("valid chart: exit %d, want 0:\n%s", code, out)
	}

	// A values file the schema accepts must be reported under --reject.
	write(t, bad, "accepted.yaml", "replicas: 3\n")
	if code, out := runValidate(t, "helm", chart, "--reject", bad); code != 1 || !strings.Contains(out, "accepted, but values.schema.json must reject it") {
		t.Fatalf("accepted --reject file: exit %d, want 1 and a finding:\n%s", code, out)
	}
	os.Remove(filepath.Join(bad, "accepted.yaml"))

	// A misspelt field in a template must be caught by strict decoding.
	write(t, chart, "templates/extra.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\nspec:\n  selector: {app: demo}\n  porst: []\n")
	if code, out := runValidate(t, "helm", chart); code != 1 || !strings.Contains(out, `unknown field "spec.porst"`) {
		t.Fatalf("misspelt field: exit %d, want 1 and an unknown-field finding:\n%s", code, out)
	}
	os.Remove(filepath.Join(chart, "templates/extra.yaml"))

	// A chart policy (readiness probe on /ready) must be enforced.
	data, _ := os.ReadFile(filepath.Join(chart, "templates/deployment.yaml"))
	write(t, chart, "templates/deployment.yaml", strings.Replace(string(data), "path: /ready", "path: /health", 1))
	if code, out := runValidate(t, "helm", chart); code != 1 || !strings.Contains(out, "readinessProbe checks /health, want /ready") {
		t.Fatalf("wrong readiness path: exit %d, want 1 and a policy finding:\n%s", code, out)
	}
	write(t, chart, "templates/deployment.yaml", string(data))

	// --all-options requires every optional resource.
	if code, out := runValidate(t, "helm", chart, "--all-options", filepath.Join(chart, "values.yaml")); code != 1 || !strings.Contains(out, "--all-options but no Ingress rendered") {
		t.Fatalf("--all-options without optional resources: exit %d, want 1:\n%s", code, out)
	}

	// A template reading a value that does not exist fails (strict rendering).
	write(t, chart, "templates/typo.yaml", "{{ if .Values.replicsa }}{{ end }}\n")
	if code, out := runValidate(t, "helm", chart); code != 1 || !strings.Contains(out, "replicsa") {
		t.Fatalf("template typo: exit %d, want 1:\n%s", code, out)
	}
}

func TestActionlint(t *testing.T) {
	dir := t.TempDir()
	good := "name: ci\non: [push]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v6\n        with:\n          persist-credentials: false\n      - run: go test ./...\n"
	write(t, dir, ".github/workflows/ci.yml", good)
	if code, out := runValidate(t, "actionlint", dir); code != 0 {
		t.Fatalf("valid workflow: exit %d:\n%s", code, out)
	}
	bad := strings.Replace(good, "persist-credentials", "persist-credential", 1)
	bad = strings.Replace(bad, "run: go test ./...", "run: echo ${{ github.shaa }}", 1)
	write(t, dir, ".github/workflows/ci.yml", bad)
	code, out := runValidate(t, "actionlint", filepath.Join(dir, ".github/workflows/ci.yml"))
	if code != 1 || !strings.Contains(out, "persist-credential") || !strings.Contains(out, "shaa") {
		t.Fatalf("bad workflow: exit %d, want 1 with both findings:\n%s", code, out)
	}

	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not on PATH: run: scripts are not checked")
		return
	}
	write(t, dir, ".github/workflows/ci.yml", strings.Replace(good, "run: go test ./...", "run: echo $(ls)", 1))
	if code, out := runValidate(t, "actionlint", dir); code != 1 || !strings.Contains(out, "SC2046") {
		t.Fatalf("unquoted command substitution: exit %d, want 1 with shellcheck's SC2046:\n%s", code, out)
	}
}

func TestGoreleaser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds goreleaser on first use")
	}
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/app\n\ngo 1.26\n")
	write(t, dir, "main.go", "package main\n\nfunc main() {}\n")
	write(t, dir, "goreleaser.yaml", "version: 2\nbuilds:\n  - main: .\narchives:\n  - formats: [tar.gz]\n")
	if code, out := runValidate(t, "goreleaser", dir); code != 0 {
		t.Fatalf("valid config: exit %d:\n%s", code, out)
	}
	write(t, dir, "goreleaser.yaml", "version: 2\nbuilds:\n  - main: .\narchives:\n  - format: tar.gz\n")
	if code, out := runValidate(t, "goreleaser", dir); code != 1 || !strings.Contains(out, "DEPRECATED") {
		t.Fatalf("deprecated property: exit %d, want 1 with the deprecation:\n%s", code, out)
	}
	write(t, dir, "goreleaser.yaml", "version: 2\nbuildz: []\n")
	if code, out := runValidate(t, "goreleaser", dir); code != 1 {
		t.Fatalf("unknown key: exit %d, want 1:\n%s", code, out)
	}

	// --snapshot builds for real: the version must be stamped.
	write(t, dir, "main.go", "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n")
	stamped := "version: 2\nbuilds:\n  - main: .\n    env: [CGO_ENABLED=0]\n    goos: [linux, darwin, windows]\n    goarch: [amd64, arm64]\n    ldflags: [\"-X main.version={{ .Version }}\"]\narchives:\n  - formats: [tar.gz]\n"
	write(t, dir, "goreleaser.yaml", stamped)
	if code, out := runValidate(t, "goreleaser", "--snapshot", dir); code != 0 {
		t.Fatalf("snapshot with the version stamped: exit %d:\n%s", code, out)
	}
	write(t, dir, "goreleaser.yaml", strings.Replace(stamped, "-X main.version={{ .Version }}", "-s", 1))
	if code, out := runValidate(t, "goreleaser", "--snapshot", dir); code != 1 || !strings.Contains(out, "want the stamped version") {
		t.Fatalf("snapshot without the version stamped: exit %d, want 1:\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"helm"}, {"helm", "a", "b"}, {"dockerfile", "--bogus", "x"}, {"helm", "x", "--values"}} {
		if code, out := runValidate(t, args...); code != 2 {
			t.Errorf("validate %q: exit %d, want 2:\n%s", args, code, out)
		}
	}
}

func runValidate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
