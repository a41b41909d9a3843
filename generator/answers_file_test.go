package generator

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadAnswers(t *testing.T) {
	p := writeTemp(t, "a.toml", `# comment
name = "weather"
module = "example.com/weather"
description = ""
transports = ["http", "sse"]
auth = "jwt-local"
issuer = "https://id.example.com/realms/x"
audience = ""
jwks_uri = "https://id.example.com/realms/x/certs"
oauth = false
deploy = []
license = "MIT"
`)
	a, err := LoadAnswers(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "weather" || a.Module != "example.com/weather" || !slices.Equal(a.Transports, []string{"http", "sse"}) ||
		a.Auth != "jwt-local" || a.OAuth == nil || *a.OAuth || a.Deploy == nil || len(a.Deploy) != 0 || a.License != "MIT" {
		t.Errorf("LoadAnswers = %+v", a)
	}
	if got := a.WithDefaults().License; got != LicenseMIT {
		t.Errorf("license from the file = %q after defaults, want %q", got, LicenseMIT)
	}
	for _, k := range []string{"description", "audience", "deploy", "oauth", "license"} {
		if !a.Given(k) {
			t.Errorf("%s is in the file (empty or false) but not given", k)
		}
	}
	if a.Given(KeyProxyHeader) {
		t.Error("proxy_header is not in the file but counts as given")
	}
}

func TestLoadAnswersErrors(t *testing.T) {
	cases := []struct {
		name, content string
		want          string // substring of the error, which must start with path:line when line > 0
		line          int
		key           string
	}{
		{"unknown key", "name = \"w\"\n\nnmae = \"x\"\n", `unknown key "nmae"; did you mean "name"?`, 3, "nmae"},
		{"unknown key far from any", "name = \"w\"\ncolour = \"blue\"\n", `unknown key "colour"; known keys are name, module`, 2, "colour"},
		{"unknown table", "name = \"w\"\n[server]\nport = 1\n", `unknown key "server"`, 2, "server"},
		{"syntax error", "name = \"w\"\nmodule = \n", "", 2, ""},
		{"unterminated string", "name = \"w\ntransports = []\n", "", 1, ""},
		{"duplicate key", "name = \"a\"\nname = \"b\"\n", "key 'name' has already been defined", 2, ""},
		{"wrong type string", "name = \"w\"\ntransports = \"stdio,http\"\n", `transports must be an array of strings`, 2, "transports"},
		{"wrong element type", "deploy = [\"docker\", 3]\n", "deploy must be an array of strings, but holds an integer", 1, "deploy"},
		{"wrong type bool", "oauth = \"yes\"\n", "oauth must be true or false, not a string", 1, "oauth"},
		{"wrong type name", "name = 42\n", "name must be a string, not an integer", 1, "name"},
		{"wrong type license", "name = \"w\"\nlicense = [\"mit\"]\n", "license must be a string, not an array", 2, "license"},
		{"misspelt license", "licence = \"mit\"\n", `unknown key "licence"; did you mean "license"?`, 1, "licence"},
		{"record not a table", "name = \"w\"\nrecord = 1\n", `"record" must be a table`, 2, "record"},
		{"quoted unknown key", "\"na me\" = 1\n", `unknown key "na me"`, 1, "na me"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "answers.toml", c.content)
			_, err := LoadAnswers(p)
			var fe *AnswersFileError
			if !errors.As(err, &fe) {
				t.Fatalf("LoadAnswers = %v, want *AnswersFileError", err)
			}
			if !IsUsage(err) {
				t.Error("not a usage error")
			}
			if fe.Line != c.line {
				t.Errorf("line = %d, want %d (%v)", fe.Line, c.line, err)
			}
			if fe.Key != c.key {
				t.Errorf("key = %q, want %q", fe.Key, c.key)
			}
			prefix := p + ":"
			if c.line > 0 {
				prefix = p + ":" + strconv.Itoa(c.line) + ": "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestLoadAnswersMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	_, err := LoadAnswers(p)
	if err == nil || !IsUsage(err) || !strings.Contains(err.Error(), "cannot read answers file") || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("LoadAnswers(missing) = %v", err)
	}
}

func TestLoadAnswersAcceptsRecord(t *testing.T) {
	p := writeTemp(t, ".mcpforge.toml", `name = "w"
transports = ["stdio"]

[record]
mcpforge_version = "v9.9.9"
anything = "else"

[record.files]
"go.mod" = "sha256:00"
`)
	a, err := LoadAnswers(p)
	if err != nil {
		t.Fatalf("a record file is not an answers file: %v", err)
	}
	if a.Name != "w" || !slices.Equal(a.Transports, []string{"stdio"}) {
		t.Errorf("answers = %+v", a)
	}
}

func TestFlagsOverFileOverDefaults(t *testing.T) {
	p := writeTemp(t, "a.toml", "name = \"filename\"\nmodule = \"example.com/file\"\ntransports = [\"sse\"]\n")
	file, err := LoadAnswers(p)
	if err != nil {
		t.Fatal(err)
	}
	var flags Answers
	flags.Transports = []string{"http"}
	a := Merge(file, flags).WithDefaults()
	if a.Name != "filename" || a.Module != "example.com/file" {
		t.Errorf("file lost to defaults: %+v", a)
	}
	if !slices.Equal(a.Transports, []string{"http"}) {
		t.Errorf("flag lost to file: transports %v", a.Transports)
	}
	if !slices.Equal(a.Deploy, KnownDeploy()) {
		t.Errorf("default not applied under file: deploy %v", a.Deploy)
	}
}

func TestKeyLines(t *testing.T) {
	doc := "# c\nname = 1\n'quoted' = 2\n\"dq\" = 3\ndotted.key = 4\ns = \"\"\"\nfake = 1\n\"\"\"\nafter = 5\n[tbl]\ninner = 6\n[[arr]]\n"
	got := keyLines(doc)
	want := map[string]int{"name": 2, "quoted": 3, "dq": 4, "dotted": 5, "s": 6, "after": 9, "tbl": 10, "arr": 12}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("line of %q = %d, want %d", k, got[k], n)
		}
	}
	for _, k := range []string{"fake", "inner"} {
		if _, ok := got[k]; ok {
			t.Errorf("%q is not a top-level key but got line %d", k, got[k])
		}
	}
}
