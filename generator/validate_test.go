package generator

import (
	"strings"
	"testing"
)

// check runs a validator over cases: want "" means valid, otherwise the error
// must contain want.
func check[T any](t *testing.T, name string, validate func(T) error, cases []struct {
	in   T
	want string
}) {
	t.Helper()
	for _, c := range cases {
		err := validate(c.in)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s(%#v) = %v, want valid", name, c.in, err)
		case c.want != "" && err == nil:
			t.Errorf("%s(%#v) is valid, want an error containing %q", name, c.in, c.want)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("%s(%#v) = %q, want it to contain %q", name, c.in, err, c.want)
		}
	}
}

type strCase = struct {
	in   string
	want string
}

type listCase = struct {
	in   []string
	want string
}

func TestValidateName(t *testing.T) {
	check(t, "ValidateName", ValidateName, []strCase{
		{"weather", ""},
		{"a", ""},
		{"my-server2", ""},
		{"a--b", ""},
		{"x" + strings.Repeat("a", 62), ""}, // 63 characters
		{"x" + strings.Repeat("a", 63), "at most 63 characters (got 64)"},
		{"", "is required"},
		{"Weather", "must start with a lower-case letter"},
		{"wEather", `has 'E'`},
		{"2fast", "must start with a lower-case letter"},
		{"-x", "must start with a lower-case letter"},
		{"my_server", `has '_'`},
		{"my.server", `has '.'`},
		{"my server", `has ' '`},
		{"café", `has 'é'`},
		{"weather-", "must not end with a dash"},
		{"func", "Go keyword"},
		{"type", "Go keyword"},
		{"go", "Go keyword"},
		{"map", "Go keyword"},
		{"testdata", "go tool skips"},
		{"vendor", "go tool skips"},
		{"funcs", ""}, // only whole keywords
	})
}

func TestValidateModule(t *testing.T) {
	check(t, "ValidateModule", ValidateModule, []strCase{
		{"example.com/weather", ""},
		{"github.com/acme/weather/v2", ""},
		{"example.com/a-b_c.d~e", ""},
		{"", "is required"},
		{"weather", "missing dot in first path element"},
		{"example.com/Weather", ""}, // upper case is legal in module paths
		{"example.com/weather/", "trailing slash"},
		{"/example.com/weather", "empty path element"},
		{"example.com//weather", "double slash"},
		{"example.com/wea ther", "invalid char"},
		{"example.com/weather/v1", "invalid version"},
		{"-example.com/x", "leading dash"},
	})
}

func TestValidateDescription(t *testing.T) {
	check(t, "ValidateDescription", ValidateDescription, []strCase{
		{"", ""},
		{"Forecasts for every city — ünïcode is fine", ""},
		{strings.Repeat("x", 200), ""},
		{strings.Repeat("x", 201), "at most 200 characters (got 201)"},
		{"two\nlines", "single line"},
		{"tab\there", "single line"},
		{"bell\a", "single line"},
		{"bad \xff utf8", "UTF-8"},
	})
}

func TestValidateTransports(t *testing.T) {
	check(t, "ValidateTransports", ValidateTransports, []listCase{
		{[]string{"stdio"}, ""},
		{[]string{"stdio", "http", "sse"}, ""},
		{[]string{"sse"}, ""},
		{nil, "choose at least one transport"},
		{[]string{}, "choose at least one transport"},
		{[]string{"websocket"}, `unknown transport "websocket"; choose from stdio, http, sse`},
		{[]string{"stdio", "HTTP"}, `unknown transport "HTTP"`}, // canonicalisation lower-cases before this
		{[]string{"http", "http"}, "listed twice"},
	})
}

func TestValidateDeploy(t *testing.T) {
	check(t, "ValidateDeploy", ValidateDeploy, []listCase{
		{[]string{}, ""},
		{nil, ""},
		{[]string{"docker", "helm", "ci", "release"}, ""},
		{[]string{"kubernetes"}, `unknown deployment artifact "kubernetes"`},
		{[]string{"ci", "ci"}, "listed twice"},
	})
}

func TestValidateAuth(t *testing.T) {
	check(t, "ValidateAuth", ValidateAuth, []strCase{
		{"none", ""},
		{"jwt-local", ""},
		{"jwt-external", ""},
		{"", `unknown auth ""`},
		{"jwt", `unknown auth "jwt"; choose from none, jwt-local, jwt-external`},
		{"JWT-LOCAL", "unknown auth"},
	})
}

func TestValidateLicense(t *testing.T) {
	check(t, "ValidateLicense", ValidateLicense, []strCase{
		{"apache-2.0", ""},
		{"mit", ""},
		{"none", ""},
		{"", `unknown license ""; choose from apache-2.0, mit, none`},
		{"gpl-3.0", `unknown license "gpl-3.0"; choose from apache-2.0, mit, none`},
		{"apache", `unknown license "apache"`},
		{"MIT", "unknown license"}, // canonicalisation lower-cases before this
		{" mit", "unknown license"},
	})
}

func TestValidateURL(t *testing.T) {
	check(t, "ValidateURL", ValidateURL, []strCase{
		{"https://auth.example.com/realms/demo", ""},
		{"https://auth.example.com:8443/jwks?tenant=a", ""},
		{"http://localhost:8080/realms/demo", ""},
		{"http://127.0.0.1:9000", ""},
		{"http://[::1]:9000/x", ""},
		{"", "is required"},
		{"http://auth.example.com/", "must use https"},
		{"ftp://auth.example.com/", "must be an https URL"},
		{"auth.example.com/realms", "must be an https URL"},
		{"https:///path-only", "has no host"},
		{"https://user:pw@auth.example.com/", "user info"},
		{"https://auth.example.com/#frag", "fragment"},
		{"https://auth.example.com/#", "fragment"},
		{"https://auth example.com/", "is not a URL"},
	})
	check(t, "ValidateIssuer", ValidateIssuer, []strCase{
		{"https://auth.example.com/realms/demo", ""},
		{"https://auth.example.com/?a=b", "must not have a query"},
		{"https://auth.example.com/?", "must not have a query"},
		{"http://auth.example.com", "must use https"},
		{"http://localhost:8080/realms/dev", ""}, // a provider on the developer's machine
		{"", "is required"},
		{"https://auth.example.com/#x", "fragment"},
	})
}

func TestValidateAudience(t *testing.T) {
	check(t, "ValidateAudience", ValidateAudience, []strCase{
		{"", ""},
		{"https://mcp.example.com/mcp", ""},
		{"api://weather", ""},
		{"two words", "must not contain spaces"},
		{"ctl\x01", "control characters"},
		{strings.Repeat("a", 2049), "at most 2048 bytes"},
	})
}

func TestValidateHeaderName(t *testing.T) {
	check(t, "ValidateHeaderName", ValidateHeaderName, []strCase{
		{"x-jwt-payload", ""},
		{"X-Forwarded-User", ""},
		{"authorization", ""},
		{"", "is required"},
		{"x jwt", `(' ' is not allowed)`},
		{"x:jwt", `(':' is not allowed)`},
		{"ünicode", "not a valid HTTP header name"},
	})
}

func TestValidateCIDR(t *testing.T) {
	check(t, "ValidateCIDR", ValidateCIDR, []strCase{
		{"10.0.0.0/8", ""},
		{"127.0.0.1/32", ""},
		{"::1/128", ""},
		{"fd00::/8", ""},
		{"0.0.0.0/0", ""},
		{"192.168.1.7", ""}, // a bare address is its own /32
		{"2001:db8::1", ""},
		{"", "empty entry"},
		{"10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8"},
		{"10.0.0.0/33", "not a CIDR"},
		{"10.0.0/8", "not a CIDR"},
		{"example.com", "not a CIDR"},
		{"fe80::1%eth0", "not a CIDR"},
	})
	check(t, "ValidateCIDRs", ValidateCIDRs, []listCase{
		{nil, ""},
		{[]string{}, ""},
		{[]string{"10.0.0.0/8", "::1/128"}, ""},
		{[]string{"10.0.0.0/8", "nope", "1.2.3.4/40"}, `"nope" is not a CIDR`},
	})
	// Every bad entry is reported, not only the first.
	if err := ValidateCIDRs([]string{"nope", "1.2.3.4/40"}); err == nil || !strings.Contains(err.Error(), "1.2.3.4/40") {
		t.Errorf("ValidateCIDRs reports only the first bad entry: %v", err)
	}
}
