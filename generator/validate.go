package generator

import (
	"errors"
	"fmt"
	"go/token"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/module"
)

// The validators below are the only place where answers are judged. Each
// takes the raw value of one answer and returns an error that reads well
// under a form field or after the key's name ("name: must start with …");
// Answers.Validate prefixes the key.

// MaxNameLength is the longest server name: the limit of a DNS label, because
// the name becomes a Kubernetes object and Helm chart name.
const MaxNameLength = 63

// maxDescriptionLength keeps the description a one-liner that fits a README
// heading, a Helm chart and a Go doc comment.
const maxDescriptionLength = 200

// ValidateName checks a server name: lower-case ASCII letters, digits and
// dashes, starting with a letter, not ending with a dash, at most 63
// characters, not a Go keyword, and not a directory name the go tool skips
// (testdata, vendor). Consecutive dashes are allowed, as in DNS labels.
//
// Why these rules: the name is a directory under cmd/, a binary, a DNS label
// (Helm release, Kubernetes objects) and, upper-cased with dashes as
// underscores, the prefix of environment variables.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("is required, e.g. weather")
	case len(name) > MaxNameLength:
		return fmt.Errorf("must be at most %d characters (got %d)", MaxNameLength, len(name))
	case name[0] < 'a' || name[0] > 'z':
		return fmt.Errorf("must start with a lower-case letter (got %q)", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("may contain only lower-case letters, digits and dashes (%q has %q)", name, r)
		}
	}
	switch {
	case strings.HasSuffix(name, "-"):
		return fmt.Errorf("must not end with a dash (got %q)", name)
	case token.IsKeyword(name):
		return fmt.Errorf("must not be a Go keyword (got %q)", name)
	case name == "testdata" || name == "vendor":
		return fmt.Errorf("must not be %q: the go tool skips directories of that name", name)
	}
	return nil
}

// ValidateModule checks a Go module path with golang.org/x/mod/module.CheckPath,
// the rules `go mod init` applies (the first element needs a dot).
func ValidateModule(path string) error {
	if path == "" {
		return errors.New("is required, e.g. example.com/weather")
	}
	if err := module.CheckPath(path); err != nil {
		return fmt.Errorf("%q is not a valid module path: %v", path, unwrapModuleErr(err))
	}
	return nil
}

// unwrapModuleErr drops the "malformed module path ..." prefix that repeats
// the path the caller already quotes.
func unwrapModuleErr(err error) error {
	var inv *module.InvalidPathError
	if errors.As(err, &inv) && inv.Err != nil {
		return inv.Err
	}
	return err
}

// ValidateDescription checks a description: valid UTF-8, one line, no control
// characters, at most 200 characters. An empty description is fine here: the
// default replaces it.
func ValidateDescription(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxDescriptionLength {
		return fmt.Errorf("must be at most %d characters (got %d)", maxDescriptionLength, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("must be a single line without control characters (found %q)", r)
		}
	}
	return nil
}

// ValidateTransports checks that list is non-empty and names only known
// transports, each once.
func ValidateTransports(list []string) error {
	return validateSet(list, knownTransports, "transport", false)
}

// ValidateDeploy checks that list names only known deployment artifacts, each
// once; the empty list (no artifacts) is fine.
func ValidateDeploy(list []string) error {
	return validateSet(list, knownDeploy, "deployment artifact", true)
}

func validateSet(list, known []string, what string, emptyOK bool) error {
	if len(list) == 0 {
		if emptyOK {
			return nil
		}
		return fmt.Errorf("choose at least one %s of %s", what, strings.Join(known, ", "))
	}
	seen := map[string]bool{}
	for _, v := range list {
		if !slices.Contains(known, v) {
			return fmt.Errorf("unknown %s %q; choose from %s", what, v, strings.Join(known, ", "))
		}
		if seen[v] {
			return fmt.Errorf("%s %q is listed twice", what, v)
		}
		seen[v] = true
	}
	return nil
}

// ValidateAuth checks an authorization strategy: none, jwt-local or
// jwt-external.
func ValidateAuth(s string) error {
	if !slices.Contains(knownAuth, s) {
		return fmt.Errorf("unknown auth %q; choose from %s", s, strings.Join(knownAuth, ", "))
	}
	return nil
}

// ValidateLicense checks a license answer: apache-2.0, mit or none, in
// lower case (WithDefaults lower-cases what flags and files give).
func ValidateLicense(s string) error {
	if !slices.Contains(knownLicenses, s) {
		return fmt.Errorf("unknown license %q; choose from %s", s, strings.Join(knownLicenses, ", "))
	}
	return nil
}

// ValidateURL checks an absolute URL of an identity provider endpoint: https,
// or http only for a loopback host (a provider on the developer's machine);
// a host; no user info and no fragment.
func ValidateURL(s string) error {
	if s == "" {
		return errors.New("is required, an https URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, unwrapURLErr(err))
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q must be an https URL", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("%q must use https (http is accepted only for localhost)", s)
	case u.User != nil:
		return fmt.Errorf("%q must not carry user info", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q must not have a fragment", s)
	}
	return nil
}

// ValidateIssuer checks a token issuer: a URL as for ValidateURL, and without
// a query, as OpenID Connect requires of issuer identifiers.
func ValidateIssuer(s string) error {
	if err := ValidateURL(s); err != nil {
		return err
	}
	if strings.Contains(s, "?") {
		return fmt.Errorf("%q must not have a query", s)
	}
	return nil
}

func unwrapURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidateAudience checks a token audience. Empty is fine: the server then
// expects its own public URL of /mcp. Otherwise any identifier without spaces
// or control characters, at most 2048 bytes.
func ValidateAudience(s string) error {
	if len(s) > 2048 {
		return fmt.Errorf("must be at most 2048 bytes (got %d)", len(s))
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%q must not contain spaces or control characters", s)
		}
	}
	return nil
}

// ValidateHeaderName checks an HTTP header field name (an RFC 9110 token),
// e.g. x-jwt-payload.
func ValidateHeaderName(s string) error {
	if s == "" {
		return errors.New("is required, e.g. " + DefaultProxyHeader)
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return fmt.Errorf("%q is not a valid HTTP header name (%q is not allowed)", s, s[i])
		}
	}
	return nil
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// ValidateCIDR checks one trusted-proxy entry: a CIDR prefix such as
// 10.0.0.0/8 or fd00::/8, or a bare address meaning just that address. A
// prefix with host bits set (10.0.0.1/8) is refused, because it usually means
// a typo.
func ValidateCIDR(s string) error {
	_, err := parseCIDR(strings.TrimSpace(s))
	return err
}

// ValidateCIDRs checks every entry with ValidateCIDR. The empty list is fine:
// the server then believes forwarded claims only from requests carrying the
// shared-secret header configured at run time.
func ValidateCIDRs(list []string) error {
	var errs []string
	for _, v := range list {
		if err := ValidateCIDR(v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errors.New("an empty entry is not a CIDR")
	}
	if !strings.Contains(s, "/") {
		addr, err := netip.ParseAddr(s)
		if err != nil || addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an IP address", s)
		}
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; did you mean %s", s, p.Masked())
	}
	return p, nil
}
