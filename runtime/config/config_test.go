package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// testPrefix is unlikely to be set in any real environment, so the tests see
// only the variables they set themselves.
const testPrefix = "MCPFORGE_CFGTEST"

func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultsAreValidAndLoadWithoutFile(t *testing.T) {
	d := Defaults("weather", "1.2.3")
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	got, err := Load("", testPrefix, d)
	if err != nil {
		t.Fatalf("Load without a file: %v", err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("Load without a file or environment changed the defaults:\n got %+v\nwant %+v", got, d)
	}
	checks := map[string][2]any{
		"name":      {got.Server.Name, "weather"},
		"version":   {got.Server.Version, "1.2.3"},
		"host":      {got.Server.HTTP.Host, "127.0.0.1"},
		"port":      {got.Server.HTTP.Port, 8080},
		"public":    {got.Server.HTTP.PublicURL, "http://127.0.0.1:8080"},
		"body":      {got.Server.HTTP.MaxBodyBytes, int64(4 << 20)},
		"level":     {got.Log.Level, "info"},
		"format":    {got.Log.Format, "json"},
		"cors":      {got.Middleware.CORS.Enabled, false},
		"accesslog": {got.Middleware.AccessLog.Enabled, true},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("default %s = %v, want %v", name, c[0], c[1])
		}
	}
	for _, h := range []string{"Authorization", "Cookie", "Set-Cookie", "X-API-Key", "Mcp-Session-Id"} {
		if !contains(got.Middleware.AccessLog.RedactHeaders, h) {
			t.Errorf("default redact_headers %v lacks %s", got.Middleware.AccessLog.RedactHeaders, h)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestLoadFileOverridesEveryKind(t *testing.T) {
	path := writeConfig(t, `
[server]
name = "forecast"
transport = "http"
instructions = "Use $TOOL wisely"

[server.http]
host = "0.0.0.0"
port = 9090
allowed_origins = ["https://app.example.com"]
read_header_timeout = "3s"
max_body_bytes = 1024
stateless = true

[log]
level = "debug"

[middleware.access_log]
redact_headers = ["X-Secret"]

[middleware.cors]
enabled = true
allowed_origins = ["https://app.example.com"]
max_age = 60
`)
	d := Defaults("weather", "1.0.0")
	got, err := Load(path, testPrefix, d)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	h := got.Server.HTTP
	if got.Server.Name != "forecast" || got.Server.Version != "1.0.0" || got.Server.Transport != "http" {
		t.Errorf("server = %+v", got.Server)
	}
	if got.Server.Instructions != "Use $TOOL wisely" {
		t.Errorf("instructions = %q; a $ must stay literal", got.Server.Instructions)
	}
	if h.Host != "0.0.0.0" || h.Port != 9090 || !h.Stateless || h.MaxBodyBytes != 1024 {
		t.Errorf("http = %+v", h)
	}
	if h.ReadHeaderTimeout.Duration != 3*time.Second {
		t.Errorf("read_header_timeout = %v", h.ReadHeaderTimeout)
	}
	if h.IdleTimeout != d.Server.HTTP.IdleTimeout {
		t.Errorf("idle_timeout = %v, want the default %v", h.IdleTimeout, d.Server.HTTP.IdleTimeout)
	}
	if !reflect.DeepEqual(h.AllowedOrigins, []string{"https://app.example.com"}) {
		t.Errorf("allowed_origins = %v", h.AllowedOrigins)
	}
	if !reflect.DeepEqual(got.Middleware.AccessLog.RedactHeaders, []string{"X-Secret"}) {
		t.Errorf("redact_headers = %v", got.Middleware.AccessLog.RedactHeaders)
	}
	if got.Log.Level != "debug" || got.Log.Format != "json" {
		t.Errorf("log = %+v", got.Log)
	}
	if c := got.Middleware.CORS; !c.Enabled || c.MaxAge != 60 {
		t.Errorf("cors = %+v", c)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadDoesNotMutateDefaults(t *testing.T) {
	d := Defaults("weather", "1.0.0")
	before := d.clone()
	path := writeConfig(t, "[middleware.access_log]\nredact_headers = [\"A\", \"B\"]\n")
	if _, err := Load(path, testPrefix, d); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, before) {
		t.Fatalf("Load wrote through to the defaults: %v", d.Middleware.AccessLog.RedactHeaders)
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each must appear in the error
	}{
		{
			name: "unknown key with line",
			doc:  "[server]\nname = \"x\"\n\n[server.htp]\nport = 1\n",
			want: []string{"config.toml:5: unknown key server.htp.port (did you mean server.http.port?)"},
		},
		{
			name: "key under the wrong table",
			doc:  "# comment\n[server]\nlevel = \"debug\"\n",
			want: []string{"config.toml:3: unknown key server.level (did you mean log.level?)"},
		},
		{
			name: "known key nested one table too deep",
			doc:  "[server.http.cors]\nenabled = true\n",
			want: []string{"config.toml:2: unknown key server.http.cors.enabled"},
		},
		{
			name: "dotted key",
			doc:  "\nserver.htp.port = 1\n",
			want: []string{"config.toml:2: unknown key server.htp.port"},
		},
		{
			name: "inline table",
			doc:  "[server]\nhttp = { port = 1, prot = 2 }\n",
			want: []string{"config.toml:2: unknown key server.http.prot"},
		},
		{
			name: "unknown top-level table without keys",
			doc:  "[logging]\n",
			want: []string{"config.toml:1: unknown key logging"},
		},
		{
			name: "case matters",
			doc:  "[server.http]\nPORT = 1\n",
			want: []string{"config.toml:2: unknown key server.http.PORT (did you mean server.http.port?)"},
		},
		{
			name: "after a multi-line string",
			doc:  "[log]\nlevel = '''\nmulti\n'''\nbogus = 1\n",
			want: []string{"config.toml:5: unknown key log.bogus"},
		},
		{
			name: "every unknown key, in file order",
			doc:  "[server]\nnmae = \"x\"\n[log]\nlevle = \"debug\"\n",
			want: []string{"config.toml:2: unknown key server.nmae", "config.toml:4: unknown key log.levle"},
		},
		{
			name: "string for integer",
			doc:  "[server.http]\nport = \"8080\"\n",
			want: []string{"config.toml:2: server.http.port must be an integer, not a string"},
		},
		{
			name: "integer for duration",
			doc:  "[server.http]\n\nidle_timeout = 30\n",
			want: []string{"config.toml:3: server.http.idle_timeout must be a duration string such as \"30s\", not an integer"},
		},
		{
			name: "bad duration",
			doc:  "[server.http]\nshutdown_timeout = \"soon\"\n",
			want: []string{"config.toml:2: server.http.shutdown_timeout: \"soon\" is not a duration"},
		},
		{
			name: "array of wrong element type",
			doc:  "[server.http]\nallowed_hosts = [1]\n",
			want: []string{"config.toml:2: server.http.allowed_hosts must be an array of strings"},
		},
		{
			name: "value for a table",
			doc:  "log = \"debug\"\n",
			want: []string{"config.toml:1: log must be a table, not a string"},
		},
		{
			name: "syntax error",
			doc:  "[server]\nname = \"x\"\nversion = \n",
			want: []string{"config.toml:3: syntax error:"},
		},
		{
			name: "unterminated table header",
			doc:  "[server\n",
			want: []string{"syntax error: expected '.' or ']' to end table name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.doc), testPrefix, Defaults("weather", "1"))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("error has %d lines, want %d: %q", n, len(tt.want), err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), testPrefix, Defaults("w", "1"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	path := writeConfig(t, "[server.http]\nport = 9000\nhost = \"localhost\"\n")
	tests := []struct {
		env   string
		value string
		check func(c Config) any
		want  any
	}{
		{"SERVER_NAME", "other", func(c Config) any { return c.Server.Name }, "other"},
		{"SERVER_HTTP_PORT", "9443", func(c Config) any { return c.Server.HTTP.Port }, 9443},
		{"SERVER_HTTP_HOST", "0.0.0.0", func(c Config) any { return c.Server.HTTP.Host }, "0.0.0.0"},
		{"SERVER_HTTP_STATELESS", "true", func(c Config) any { return c.Server.HTTP.Stateless }, true},
		{"MIDDLEWARE_ACCESS_LOG_ENABLED", "FALSE", func(c Config) any { return c.Middleware.AccessLog.Enabled }, false},
		{"MIDDLEWARE_CORS_ENABLED", "1", func(c Config) any { return c.Middleware.CORS.Enabled }, true},
		{"SERVER_HTTP_MAX_BODY_BYTES", "2048", func(c Config) any { return c.Server.HTTP.MaxBodyBytes }, int64(2048)},
		{"SERVER_HTTP_IDLE_TIMEOUT", "1m30s", func(c Config) any { return c.Server.HTTP.IdleTimeout.Duration }, 90 * time.Second},
		{"SERVER_HTTP_ALLOWED_ORIGINS", "https://a.example, https://b.example,", func(c Config) any { return c.Server.HTTP.AllowedOrigins }, []string{"https://a.example", "https://b.example"}},
		{"MIDDLEWARE_ACCESS_LOG_REDACT_HEADERS", "X-One,X-Two", func(c Config) any { return c.Middleware.AccessLog.RedactHeaders }, []string{"X-One", "X-Two"}},
		{"MIDDLEWARE_CORS_ALLOWED_ORIGINS", "https://app.example", func(c Config) any { return c.Middleware.CORS.AllowedOrigins }, []string{"https://app.example"}},
		{"SERVER_INSTRUCTIONS", "cost is $5 ${HOME} $HOME", func(c Config) any { return c.Server.Instructions }, "cost is $5 ${HOME} $HOME"},
		{"SERVER_HTTP_PUBLIC_URL", "https://mcp.example.com", func(c Config) any { return c.Server.HTTP.PublicURL }, "https://mcp.example.com"},
		// An empty variable counts as unset: the file value stays.
		{"SERVER_HTTP_PORT", "", func(c Config) any { return c.Server.HTTP.Port }, 9000},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			t.Setenv(testPrefix+"_"+tt.env, tt.value)
			got, err := Load(path, testPrefix, Defaults("weather", "1"))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if v := tt.check(got); !reflect.DeepEqual(v, tt.want) {
				t.Errorf("%s=%q gave %#v, want %#v", tt.env, tt.value, v, tt.want)
			}
		})
	}
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct{ env, value string }{
		{"SERVER_HTTP_PORT", "80a"},
		{"SERVER_HTTP_PORT", "0x50"},
		{"SERVER_HTTP_PORT", " 80"},
		{"SERVER_HTTP_MAX_BODY_BYTES", "4MiB"},
		{"SERVER_HTTP_STATELESS", "yes"},
		{"SERVER_HTTP_STATELESS", "on"},
		{"SERVER_HTTP_IDLE_TIMEOUT", "30"},
		{"SERVER_HTTP_IDLE_TIMEOUT", "forever"},
		{"MIDDLEWARE_CORS_MAX_AGE", "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			name := testPrefix + "_" + tt.env
			t.Setenv(name, tt.value)
			_, err := Load("", testPrefix, Defaults("weather", "1"))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", name, tt.value)
			}
			if !strings.Contains(err.Error(), "environment variable "+name+":") {
				t.Errorf("error %q does not name %s", err, name)
			}
		})
	}
}

func TestEnvReportsEveryBadVariable(t *testing.T) {
	t.Setenv(testPrefix+"_SERVER_HTTP_PORT", "x")
	t.Setenv(testPrefix+"_LOG_LEVEL", "debug")
	t.Setenv(testPrefix+"_SERVER_HTTP_STATELESS", "maybe")
	_, err := Load("", testPrefix, Defaults("weather", "1"))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	for _, name := range []string{"SERVER_HTTP_PORT", "SERVER_HTTP_STATELESS"} {
		if !strings.Contains(err.Error(), testPrefix+"_"+name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestEnvPrefixNormalizedAndOptional(t *testing.T) {
	t.Setenv("MY_SERVER_SERVER_HTTP_PORT", "7000")
	got, err := Load("", "my-server", Defaults("my-server", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Server.HTTP.Port != 7000 {
		t.Errorf("prefix my-server did not read MY_SERVER_SERVER_HTTP_PORT: port %d", got.Server.HTTP.Port)
	}
	got, err = Load("", "", Defaults("my-server", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Server.HTTP.Port != 8080 {
		t.Errorf("an empty prefix read the environment: port %d", got.Server.HTTP.Port)
	}
	if EnvNames("") != nil {
		t.Errorf("EnvNames(\"\") = %v, want nil", EnvNames(""))
	}
}

func TestEnvNamesAreUniqueAndEachIsWired(t *testing.T) {
	names := EnvNames("WEATHER")
	for _, want := range []string{
		"WEATHER_SERVER_NAME",
		"WEATHER_SERVER_HTTP_PORT",
		"WEATHER_SERVER_HTTP_PUBLIC_URL",
		"WEATHER_LOG_LEVEL",
		"WEATHER_MIDDLEWARE_ACCESS_LOG_REDACT_HEADERS",
		"WEATHER_MIDDLEWARE_CORS_ALLOWED_ORIGINS",
	} {
		if !contains(names, want) {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("duplicate variable %s: two keys would share it", n)
		}
		seen[n] = true
	}

	// Setting each variable to a distinctive value must change exactly one
	// key: proof that every name EnvNames reports is read by Load.
	fields, _ := schema()
	var leaves []field
	for _, f := range fields {
		if f.kind != kindTable {
			leaves = append(leaves, f)
		}
	}
	if len(leaves) != len(names) {
		t.Fatalf("EnvNames has %d names for %d keys", len(names), len(leaves))
	}
	base := Defaults("weather", "1")
	for i, f := range leaves {
		value := map[kind]string{
			kindString:   "changed",
			kindInt:      "4242",
			kindBool:     "true",
			kindDuration: "42s",
			kindStrings:  "one,two",
		}[f.kind]
		if f.kind == kindBool && reflect.ValueOf(base).FieldByIndex(f.index).Bool() {
			value = "false"
		}
		t.Run(names[i], func(t *testing.T) {
			t.Setenv(names[i], value)
			got, err := Load("", "WEATHER", base)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range leaves {
				a := reflect.ValueOf(got).FieldByIndex(g.index).Interface()
				b := reflect.ValueOf(base).FieldByIndex(g.index).Interface()
				changed := !reflect.DeepEqual(a, b)
				if g.name() == "server.http.public_url" && (f.name() == "server.http.port" || f.name() == "server.http.host") {
					continue // derived from host and port on purpose
				}
				if changed != (g.name() == f.name()) {
					t.Errorf("%s=%s: key %s changed=%v", names[i], value, g.name(), changed)
				}
			}
		})
	}
}

func TestPublicURLDerivation(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want string
	}{
		{"from file port", "[server.http]\nport = 9090\n", nil, "http://127.0.0.1:9090"},
		{"unspecified host becomes loopback", "[server.http]\nhost = \"0.0.0.0\"\n", nil, "http://127.0.0.1:8080"},
		{"ipv6 host", "[server.http]\nhost = \"::1\"\n", nil, "http://[::1]:8080"},
		{"explicit in file", "[server.http]\nport = 9090\npublic_url = \"https://mcp.example.com\"\n", nil, "https://mcp.example.com"},
		{"port from env", "", map[string]string{"SERVER_HTTP_PORT": "7070"}, "http://127.0.0.1:7070"},
		{"explicit in env", "[server.http]\nport = 9090\n", map[string]string{"SERVER_HTTP_PUBLIC_URL": "https://x.example"}, "https://x.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(testPrefix+"_"+k, v)
			}
			path := ""
			if tt.doc != "" {
				path = writeConfig(t, tt.doc)
			}
			got, err := Load(path, testPrefix, Defaults("w", "1"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Server.HTTP.PublicURL != tt.want {
				t.Errorf("public_url = %q, want %q", got.Server.HTTP.PublicURL, tt.want)
			}
		})
	}

	// Defaults with a public URL of their own keep it.
	d := Defaults("w", "1")
	d.Server.HTTP.PublicURL = "https://fixed.example"
	got, err := Load(writeConfig(t, "[server.http]\nport = 9\n"), testPrefix, d)
	if err != nil {
		t.Fatal(err)
	}
	if got.Server.HTTP.PublicURL != "https://fixed.example" {
		t.Errorf("public_url = %q, want the defaults' own", got.Server.HTTP.PublicURL)
	}
}

// TestEncodedDefaultsLoadBack proves the schema and the file format agree:
// every key the encoder writes is one Load accepts, durations round-trip
// through MarshalText, and nothing is lost.
func TestEncodedDefaultsLoadBack(t *testing.T) {
	d := Defaults("weather", "1.0.0")
	d.Server.HTTP.AllowedHosts = []string{"mcp.example.com"}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(d); err != nil {
		t.Fatal(err)
	}
	got, err := Load(writeConfig(t, buf.String()), testPrefix, Defaults("other", "0"))
	if err != nil {
		t.Fatalf("Load of encoded defaults: %v\n%s", err, buf.String())
	}
	// The file sets every key, metrics_addr included, which Load records.
	if !got.Telemetry.metricsAddrSet {
		t.Error("telemetry.metrics_addr was in the file, but Load did not record it as set")
	}
	got.Telemetry.metricsAddrSet = false
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", got, d)
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Duration != 90*time.Second {
		t.Fatalf("UnmarshalText(1m30s) = %v, %v", d, err)
	}
	b, err := d.MarshalText()
	if err != nil || string(b) != "1m30s" {
		t.Fatalf("MarshalText = %q, %v", b, err)
	}
	for _, bad := range []string{"", "30", "1 minute", "$TIMEOUT"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
}

func TestLoadCapsReportedProblems(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("[server]\n")
	for i := range 30 {
		fmt.Fprintf(&doc, "bogus%d = 1\n", i)
	}
	_, err := Load(writeConfig(t, doc.String()), testPrefix, Defaults("w", "1"))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 {
		t.Fatalf("%d lines, want %d", len(lines), maxReported+1)
	}
	if !strings.Contains(lines[0], "config.toml:2: unknown key server.bogus0") {
		t.Errorf("first line = %q", lines[0])
	}
	if !strings.Contains(lines[maxReported], "10 more problems not shown") {
		t.Errorf("last line = %q", lines[maxReported])
	}
}
