package config

import (
	"strings"
	"testing"
)

// A variable with the prefix and a table but no key of it is a misspelt
// override: Load refuses it, naming the variable and the one it most likely
// meant.
func TestEnvUnknownKeyOfATable(t *testing.T) {
	p := testPrefix + "_"
	tests := []struct {
		name string // the variable, set to "1"
		want string // the suggestion; "" = none expected
	}{
		{p + "SERVER_HTTP_PROT", p + "SERVER_HTTP_PORT"},
		{p + "LOG_LEVL", p + "LOG_LEVEL"},
		{p + "SERVER_LEVEL", p + "LOG_LEVEL"}, // the key under another table
		{p + "SERVER_MAX_BODY_BYTES", p + "SERVER_HTTP_MAX_BODY_BYTES"},
		{p + "MIDDLEWARE_CORS_ENABLE", p + "MIDDLEWARE_CORS_ENABLED"},
		{p + "OAUTH_METADATA_CACHE_TLL", p + "OAUTH_METADATA_CACHE_TTL"},
		{strings.ToLower(p) + "server_http_port", p + "SERVER_HTTP_PORT"}, // never read: names are upper-case
		{p + "Server_Http_Port", p + "SERVER_HTTP_PORT"},
		{p + "SERVER", ""},
		{p + "OAUTH_XYZZY", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.name, "1")
			_, err := Load("", testPrefix, Defaults("weather", "1"))
			if err == nil {
				t.Fatalf("Load accepted %s=1", tt.name)
			}
			msg := err.Error()
			if !strings.Contains(msg, "environment variable "+tt.name+" names no key of the [") {
				t.Errorf("the error does not name %s: %v", tt.name, err)
			}
			switch {
			case tt.want != "" && !strings.Contains(msg, "(did you mean "+tt.want+"?)"):
				t.Errorf("the error does not suggest %s: %v", tt.want, err)
			case tt.want == "" && strings.Contains(msg, "did you mean"):
				t.Errorf("the error suggests something far-fetched: %v", err)
			}
			if !strings.Contains(msg, "correct or unset it") {
				t.Errorf("the error does not say what to do: %v", err)
			}
		})
	}
}

// Every top-level table reserves its variables, including any table added
// later: the tables come from the schema, not from a list to keep in step.
func TestEnvEveryTableIsChecked(t *testing.T) {
	fields, _ := schema()
	var tables []string
	for _, f := range fields {
		if f.kind == kindTable && len(f.key) == 1 {
			tables = append(tables, f.key[0])
		}
	}
	for _, want := range []string{"server", "log", "middleware", "oauth"} {
		if !contains(tables, want) {
			t.Errorf("the schema has no table %s: %v", want, tables)
		}
	}
	for _, table := range tables {
		name := testPrefix + "_" + strings.ToUpper(table) + "_NO_SUCH_KEY"
		errs := unknownEnv(testPrefix, []string{name + "=1"})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), name) || !strings.Contains(errs[0].Error(), "["+table+"]") {
			t.Errorf("%s: errors %v, want one naming the variable and [%s]", name, errs, table)
		}
	}
}

// Variables of the prefix that do not start with a table, of another
// prefix, empty, or known are left alone.
func TestEnvOtherVariablesLeftAlone(t *testing.T) {
	p := testPrefix + "_"
	for _, kv := range []string{
		p + "API_KEY=x",               // the owner's own
		p + "SERVICE_HOST=10.0.0.1",   // a Kubernetes service link
		p + "PORT=tcp://10.0.0.1:80",  // another
		p + "PORT_8080_TCP_PORT=8080", // and another
		p + "SERVERLESS=1",            // starts with a table's letters, not its segment
		p + "LOGGING_LEVEL=debug",
		p + "SERVER_HTTP_PROT=",           // empty counts as unset
		"OTHER_SERVER_HTTP_PROT=1",        // another server's prefix
		p + "SERVER_HTTP_PORT=9000",       // known
		p + "OAUTH_METADATA_CACHE_TTL=1m", // known
		"=" + p + "SERVER_X",              // not even a name
	} {
		if errs := unknownEnv(testPrefix, []string{kv}); len(errs) != 0 {
			t.Errorf("%s: %v, want it left alone", kv, errs)
		}
	}
	t.Setenv(p+"API_KEY", "x")
	t.Setenv(p+"SERVICE_PORT", "80")
	if _, err := Load("", testPrefix, Defaults("weather", "1")); err != nil {
		t.Errorf("Load with the owner's own variables: %v", err)
	}
}

// Misspelt names and bad values are reported together, in name order.
func TestEnvUnknownAndBadValuesReportedTogether(t *testing.T) {
	t.Setenv(testPrefix+"_SERVER_HTTP_PORT", "x")
	t.Setenv(testPrefix+"_SERVER_HTTP_PROT", "1")
	t.Setenv(testPrefix+"_LOG_LEVL", "debug")
	_, err := Load("", testPrefix, Defaults("weather", "1"))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	msg := err.Error()
	i, j, k := strings.Index(msg, testPrefix+"_SERVER_HTTP_PORT:"), strings.Index(msg, testPrefix+"_LOG_LEVL names"), strings.Index(msg, testPrefix+"_SERVER_HTTP_PROT names")
	if i < 0 || j < 0 || k < 0 {
		t.Fatalf("not every problem is reported: %v", err)
	}
	if j > k {
		t.Errorf("unknown variables are not in name order: %v", err)
	}
}

func TestClosest(t *testing.T) {
	cands := []candidate{
		{name: "server"},
		{name: "server.http.port", tail: ".port"},
		{name: "server.http.max_body_bytes", tail: ".max_body_bytes"},
		{name: "log.level", tail: ".level"},
		{name: "oauth.allowed_hosts", tail: ".allowed_hosts"},
		{name: "server.http.allowed_hosts", tail: ".allowed_hosts"},
	}
	tests := []struct{ name, want string }{
		{"SERVER.HTTP.PORT", "server.http.port"},            // case
		{"server.level", "log.level"},                       // wrong table
		{"level", "log.level"},                              // no table at all
		{"middleware.allowed_hosts", "oauth.allowed_hosts"}, // first declared
		{"server.http.prot", "server.http.port"},            // two edits
		{"servr", "server"},                                 // a table by its spelling
		{"server.http.body_bytes", ""},                      // a tail must be a whole key
		{"log.colour", ""},                                  // nothing close
	}
	for _, tt := range tests {
		if got := closest(tt.name, ".", cands); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
