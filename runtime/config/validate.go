package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Validate checks every value and reports all problems at once, one per
// line, each naming its key, for example
//
//	server.http.port: 70000 is out of range; use 1-65535
//
// It returns nil when the configuration is usable.
func (c Config) Validate() error {
	var v validator

	s := c.Server
	v.nonEmpty("server.name", s.Name)
	v.nonEmpty("server.version", s.Version)
	v.oneOf("server.transport", s.Transport, "stdio", "http", "sse")

	h := s.HTTP
	v.host("server.http.host", h.Host)
	if h.Port < 0 || h.Port > 65535 {
		v.add("server.http.port", "%d is out of range; use 1-65535, or 0 for any free port", h.Port)
	}
	v.publicURL("server.http.public_url", h.PublicURL)
	for i, o := range h.AllowedOrigins {
		v.origin(fmt.Sprintf("server.http.allowed_origins[%d]", i), o)
	}
	for i, a := range h.AllowedHosts {
		v.allowedHost(fmt.Sprintf("server.http.allowed_hosts[%d]", i), a)
	}
	v.positiveDuration("server.http.read_header_timeout", h.ReadHeaderTimeout)
	v.positiveDuration("server.http.idle_timeout", h.IdleTimeout)
	if h.ShutdownTimeout.Duration < 0 {
		v.add("server.http.shutdown_timeout", "%s is negative; use 0 to stop at once or a duration such as \"15s\"", h.ShutdownTimeout)
	}
	if h.MaxBodyBytes <= 0 {
		v.add("server.http.max_body_bytes", "%d must be positive; the default is 4194304 (4 MiB)", h.MaxBodyBytes)
	} else if h.MaxBodyBytesInFlight/2 < h.MaxBodyBytes {
		v.add("server.http.max_body_bytes_in_flight", "%d is less than twice server.http.max_body_bytes (%d; each body counts twice: the server's copy, and mcp-go's or the heap room to free it), so the largest body could never be read; raise it to at least %d (the default is 16777216, 16 MiB)", h.MaxBodyBytesInFlight, h.MaxBodyBytes, 2*h.MaxBodyBytes)
	}
	v.positiveDuration("server.http.body_read_timeout", h.BodyReadTimeout)
	if h.MaxHeaderBytes < 4096 {
		v.add("server.http.max_header_bytes", "%d is below 4096, too small for a request line and a bearer token; the default is 65536 (64 KiB)", h.MaxHeaderBytes)
	}
	v.positiveDuration("server.http.session_idle_timeout", h.SessionIdleTimeout)
	for _, limit := range []struct {
		key string
		n   int
	}{
		{"server.http.max_sessions", h.MaxSessions},
		{"server.http.max_sessions_per_subject", h.MaxSessionsPerSubject},
		{"server.http.max_streams", h.MaxStreams},
		{"server.http.max_streams_per_caller", h.MaxStreamsPerCaller},
	} {
		if limit.n < 1 {
			v.add(limit.key, "%d must be at least 1", limit.n)
		}
	}

	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	v.metricsAddr("telemetry.metrics_addr", c.Telemetry.MetricsAddr, s.HTTP.Port)

	a := c.Middleware.AccessLog
	v.headerNames("middleware.access_log.redact_headers", a.RedactHeaders)
	v.headerNames("middleware.access_log.exclude_headers", a.ExcludeHeaders)
	if a.MaxBodyLogBytes < 0 {
		v.add("middleware.access_log.max_body_log_bytes", "%d is negative; use 0 or more", a.MaxBodyLogBytes)
	}

	co := c.Middleware.CORS
	wildcard := false
	for i, o := range co.AllowedOrigins {
		if o == "*" {
			wildcard = true
		}
		v.origin(fmt.Sprintf("middleware.cors.allowed_origins[%d]", i), o)
	}
	if co.Enabled && len(co.AllowedOrigins) == 0 {
		v.add("middleware.cors.allowed_origins", "is empty while middleware.cors.enabled is true; list the browser origins to allow")
	}
	if wildcard && co.AllowCredentials {
		v.add("middleware.cors.allowed_origins", `"*" cannot be combined with middleware.cors.allow_credentials; list the origins explicitly or turn credentials off`)
	}
	for i, m := range co.AllowedMethods {
		if !isToken(m) || m != strings.ToUpper(m) {
			v.add(fmt.Sprintf("middleware.cors.allowed_methods[%d]", i), "%q is not an HTTP method; use upper case, such as \"POST\"", m)
		}
	}
	v.headerNames("middleware.cors.allowed_headers", co.AllowedHeaders)
	v.headerNames("middleware.cors.exposed_headers", co.ExposedHeaders)
	if co.MaxAge < 0 {
		v.add("middleware.cors.max_age", "%d is negative; use 0 or more seconds", co.MaxAge)
	}
	if err := c.Middleware.JWT.Validate(); err != nil {
		v.errs = append(v.errs, err)
	}
	if err := c.OAuth.Validate(); err != nil {
		v.errs = append(v.errs, err)
	}

	return errors.Join(v.errs...)
}

// validator collects problems instead of stopping at the first one.
type validator struct {
	errs []error
}

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
}

func (v *validator) nonEmpty(key, val string) {
	if strings.TrimSpace(val) == "" {
		v.add(key, "is empty; set a value")
	}
}

func (v *validator) oneOf(key, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.add(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
}

func (v *validator) positiveDuration(key string, d Duration) {
	if d.Duration <= 0 {
		v.add(key, "%s must be positive, such as \"30s\"", d)
	}
}

func (v *validator) host(key, h string) {
	switch {
	case h == "":
		v.add(key, `is empty; use "127.0.0.1" for local use or "0.0.0.0" for all interfaces`)
	case strings.Contains(h, "://"):
		v.add(key, "%q is a URL; give a host name or IP address only", h)
	case strings.HasPrefix(h, "["):
		v.add(key, "%q has brackets; write IPv6 addresses without them, such as \"::1\"", h)
	case net.ParseIP(h) != nil:
	case strings.Contains(h, ":"):
		v.add(key, "%q contains a port; set the port in server.http.port", h)
	case !isHostname(h):
		v.add(key, "%q is not a valid host name or IP address", h)
	}
}

// metricsAddr checks a listen address host:port, "" (off) allowed. It may
// not be the MCP port, whose clients must not see the metrics.
func (v *validator) metricsAddr(key, addr string, mcpPort int) {
	if addr == "" {
		return
	}
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(key, "%q is not host:port; use such as %q, or \"\" to turn the metrics endpoint off", addr, DefaultMetricsAddr)
		return
	}
	port, err := strconv.Atoi(portText)
	switch {
	case err != nil || port < 0 || port > 65535:
		v.add(key, "port %q is not a number between 0 and 65535", portText)
	case port != 0 && port == mcpPort:
		v.add(key, "%q uses server.http.port (%d); metrics need a port of their own, such as 9464", addr, mcpPort)
	}
}

func (v *validator) publicURL(key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.add(key, "is empty; use the absolute URL clients reach the server at, such as \"https://mcp.example.com\"")
	case err != nil:
		v.add(key, "%q is not a URL: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(key, "%q must be an absolute http or https URL, such as \"https://mcp.example.com\"", raw)
	case u.Host == "" || u.Hostname() == "":
		v.add(key, "%q has no host", raw)
	case u.User != nil:
		v.add(key, "%q must not contain user information", raw)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		v.add(key, "%q must not have a query or fragment", raw)
	}
}

// origin accepts "*" or an exact origin: scheme://host[:port], nothing else,
// because browsers send Origin in exactly that form and it is compared as is.
func (v *validator) origin(key, o string) {
	if o == "*" {
		return
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "?#") {
		v.add(key, "%q is not an origin; use scheme://host[:port] with no path, such as \"https://app.example.com\"", o)
		return
	}
	if o != strings.ToLower(o) {
		v.add(key, "%q must be lower case, as browsers send it", o)
	}
}

func (v *validator) allowedHost(key, h string) {
	if h == "*" {
		return
	}
	if strings.Contains(h, "/") {
		v.add(key, "%q is not a host; give a host name, optionally with a port, such as \"mcp.example.com\"", h)
		return
	}
	name := h
	if host, port, err := net.SplitHostPort(h); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			v.add(key, "%q has an invalid port", h)
			return
		}
		name = host
	}
	if net.ParseIP(strings.Trim(name, "[]")) == nil && !isHostname(name) {
		v.add(key, "%q is not a valid host name", h)
	}
}

func (v *validator) headerNames(key string, names []string) {
	for i, n := range names {
		if !isToken(n) {
			v.add(fmt.Sprintf("%s[%d]", key, i), "%q is not a valid header name", n)
		}
	}
}

// isHostname reports whether h is a DNS name made of letters, digits and
// dashes (underscores tolerated, as some internal names use them).
func isHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token, the syntax of header names
// and methods.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", r) {
			return false
		}
	}
	return true
}
