package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"empty name", func(c *Config) { c.Server.Name = " " }, "server.name: is empty"},
		{"empty version", func(c *Config) { c.Server.Version = "" }, "server.version: is empty"},
		{"bad transport", func(c *Config) { c.Server.Transport = "websocket" }, `server.transport: "websocket" is not one of stdio, http, sse`},
		{"http transport", func(c *Config) { c.Server.Transport = "http" }, ""},
		{"port too big", func(c *Config) { c.Server.HTTP.Port = 70000 }, "server.http.port: 70000 is out of range"},
		{"negative port", func(c *Config) { c.Server.HTTP.Port = -1 }, "server.http.port: -1 is out of range"},
		{"port zero picks a free port", func(c *Config) { c.Server.HTTP.Port = 0 }, ""},
		{"empty host", func(c *Config) { c.Server.HTTP.Host = "" }, "server.http.host: is empty"},
		{"host with port", func(c *Config) { c.Server.HTTP.Host = "localhost:80" }, "server.http.host: \"localhost:80\" contains a port"},
		{"host as URL", func(c *Config) { c.Server.HTTP.Host = "http://localhost" }, "server.http.host: \"http://localhost\" is a URL"},
		{"bracketed ipv6", func(c *Config) { c.Server.HTTP.Host = "[::1]" }, "server.http.host: \"[::1]\" has brackets"},
		{"bad host name", func(c *Config) { c.Server.HTTP.Host = "exa mple" }, "server.http.host: \"exa mple\" is not a valid host"},
		{"ipv6 host", func(c *Config) { c.Server.HTTP.Host = "::" }, ""},
		{"host name", func(c *Config) { c.Server.HTTP.Host = "localhost" }, ""},
		{"relative public url", func(c *Config) { c.Server.HTTP.PublicURL = "/mcp" }, "server.http.public_url: \"/mcp\" must be an absolute http or https URL"},
		{"ftp public url", func(c *Config) { c.Server.HTTP.PublicURL = "ftp://x.example" }, "server.http.public_url: \"ftp://x.example\" must be an absolute http or https URL"},
		{"public url without host", func(c *Config) { c.Server.HTTP.PublicURL = "https://" }, "server.http.public_url: \"https://\" has no host"},
		{"public url with query", func(c *Config) { c.Server.HTTP.PublicURL = "https://x.example/?a=1" }, "must not have a query or fragment"},
		{"public url with path", func(c *Config) { c.Server.HTTP.PublicURL = "https://x.example/weather" }, ""},
		{"empty public url", func(c *Config) { c.Server.HTTP.PublicURL = "" }, "server.http.public_url: is empty"},
		{"origin with path", func(c *Config) { c.Server.HTTP.AllowedOrigins = []string{"https://a.example/"} }, "server.http.allowed_origins[0]: \"https://a.example/\" is not an origin"},
		{"origin without scheme", func(c *Config) { c.Server.HTTP.AllowedOrigins = []string{"ok.example", "a.example"} }, "server.http.allowed_origins[0]"},
		{"upper-case origin", func(c *Config) { c.Server.HTTP.AllowedOrigins = []string{"https://App.example"} }, "must be lower case"},
		{"good origins", func(c *Config) { c.Server.HTTP.AllowedOrigins = []string{"*", "http://localhost:6274"} }, ""},
		{"allowed host URL", func(c *Config) { c.Server.HTTP.AllowedHosts = []string{"https://x.example"} }, "server.http.allowed_hosts[0]: \"https://x.example\" is not a host"},
		{"allowed host bad port", func(c *Config) { c.Server.HTTP.AllowedHosts = []string{"x.example:0"} }, "server.http.allowed_hosts[0]: \"x.example:0\" has an invalid port"},
		{"good allowed hosts", func(c *Config) { c.Server.HTTP.AllowedHosts = []string{"*", "x.example", "x.example:8443", "[::1]:80"} }, ""},
		{"zero read header timeout", func(c *Config) { c.Server.HTTP.ReadHeaderTimeout = Duration{} }, "server.http.read_header_timeout: 0s must be positive"},
		{"negative idle timeout", func(c *Config) { c.Server.HTTP.IdleTimeout = Duration{-time.Second} }, "server.http.idle_timeout: -1s must be positive"},
		{"negative shutdown timeout", func(c *Config) { c.Server.HTTP.ShutdownTimeout = Duration{-time.Second} }, "server.http.shutdown_timeout: -1s is negative"},
		{"zero shutdown timeout", func(c *Config) { c.Server.HTTP.ShutdownTimeout = Duration{} }, ""},
		{"zero body limit", func(c *Config) { c.Server.HTTP.MaxBodyBytes = 0 }, "server.http.max_body_bytes: 0 must be positive"},
		{"negative body limit", func(c *Config) { c.Server.HTTP.MaxBodyBytes = -5 }, "server.http.max_body_bytes: -5 must be positive"},
		{"bodies in flight below two copies of the largest", func(c *Config) {
			c.Server.HTTP.MaxBodyBytes = 1000
			c.Server.HTTP.MaxBodyBytesInFlight = 1999
		}, "server.http.max_body_bytes_in_flight: 1999 is less than twice server.http.max_body_bytes (1000; each body counts twice: the server's copy, and mcp-go's or the heap room to free it), so the largest body could never be read; raise it to at least 2000"},
		{"bodies in flight exactly two copies of the largest", func(c *Config) {
			c.Server.HTTP.MaxBodyBytes = 1000
			c.Server.HTTP.MaxBodyBytesInFlight = 2000
		}, ""},
		{"bad log level", func(c *Config) { c.Log.Level = "verbose" }, `log.level: "verbose" is not one of debug, info, warn, error`},
		{"bad log format", func(c *Config) { c.Log.Format = "xml" }, `log.format: "xml" is not one of text, json`},
		{"bad redact header", func(c *Config) { c.Middleware.AccessLog.RedactHeaders = []string{"X Bad"} }, "middleware.access_log.redact_headers[0]: \"X Bad\" is not a valid header name"},
		{"negative body log", func(c *Config) { c.Middleware.AccessLog.MaxBodyLogBytes = -1 }, "middleware.access_log.max_body_log_bytes: -1 is negative"},
		{"cors without origins", func(c *Config) { c.Middleware.CORS.Enabled = true }, "middleware.cors.allowed_origins: is empty while middleware.cors.enabled is true"},
		{"cors wildcard with credentials", func(c *Config) {
			c.Middleware.CORS.Enabled = true
			c.Middleware.CORS.AllowedOrigins = []string{"*"}
			c.Middleware.CORS.AllowCredentials = true
		}, `middleware.cors.allowed_origins: "*" cannot be combined with middleware.cors.allow_credentials`},
		{"cors wildcard", func(c *Config) {
			c.Middleware.CORS.Enabled = true
			c.Middleware.CORS.AllowedOrigins = []string{"*"}
		}, ""},
		{"cors bad origin", func(c *Config) { c.Middleware.CORS.AllowedOrigins = []string{"app.example"} }, "middleware.cors.allowed_origins[0]"},
		{"cors lower-case method", func(c *Config) { c.Middleware.CORS.AllowedMethods = []string{"post"} }, "middleware.cors.allowed_methods[0]: \"post\" is not an HTTP method"},
		{"cors bad header", func(c *Config) { c.Middleware.CORS.AllowedHeaders = []string{"a:b"} }, "middleware.cors.allowed_headers[0]"},
		{"cors negative max age", func(c *Config) { c.Middleware.CORS.MaxAge = -1 }, "middleware.cors.max_age: -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults("weather", "1.0.0")
			tt.modify(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the config, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Defaults("weather", "1.0.0")
	c.Server.Transport = "carrier-pigeon"
	c.Server.HTTP.Port = 99999
	c.Log.Level = "loud"
	c.Middleware.CORS.MaxAge = -3
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted the config")
	}
	keys := []string{"server.transport:", "server.http.port:", "log.level:", "middleware.cors.max_age:"}
	for _, k := range keys {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error does not report %s: %q", k, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != len(keys) {
		t.Errorf("error has %d lines, want %d: %q", n, len(keys), err)
	}
}
