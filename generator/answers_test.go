package generator

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func boolPtr(b bool) *bool { return &b }

func TestDefaults(t *testing.T) {
	a := Defaults("weather")
	want := Answers{
		Name:           "weather",
		Module:         "example.com/weather",
		Description:    "The weather MCP server",
		Transports:     []string{"stdio", "http"},
		Auth:           "none",
		Observability:  boolPtr(true),
		UpdateWorkflow: boolPtr(false),
		Deploy:         []string{"docker", "helm", "ci", "release"},
		License:        "none",
	}
	a.given = 0
	if !reflect.DeepEqual(a, want) {
		t.Errorf("Defaults(weather) = %+v, want %+v", a, want)
	}
	if err := Defaults("weather").Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestWithDefaultsAuth(t *testing.T) {
	local := Answers{Name: "w", Auth: "jwt-local"}.WithDefaults()
	if local.Issuer != PlaceholderIssuer || local.JWKSURI != PlaceholderJWKSURI || local.Audience != "" {
		t.Errorf("jwt-local defaults: issuer %q jwks %q audience %q", local.Issuer, local.JWKSURI, local.Audience)
	}
	if local.OAuth == nil || !*local.OAuth {
		t.Errorf("jwt-local must default to oauth on, got %v", local.OAuth)
	}
	if local.ProxyHeader != "" || local.TrustedProxies != nil {
		t.Errorf("jwt-local got jwt-external defaults: %q %v", local.ProxyHeader, local.TrustedProxies)
	}
	if err := local.Validate(); err != nil {
		t.Errorf("jwt-local defaults do not validate: %v", err)
	}

	ext := Answers{Name: "w", Auth: "jwt-external"}.WithDefaults()
	if ext.ProxyHeader != "x-jwt-payload" || !slices.Equal(ext.TrustedProxies, []string{"127.0.0.1/32", "::1/128"}) {
		t.Errorf("jwt-external defaults: %q %v", ext.ProxyHeader, ext.TrustedProxies)
	}
	if ext.OAuth != nil || ext.OAuthEnabled() || ext.Issuer != "" {
		t.Errorf("jwt-external got jwt-local defaults: oauth %v issuer %q", ext.OAuth, ext.Issuer)
	}
	if err := ext.Validate(); err != nil {
		t.Errorf("jwt-external defaults do not validate: %v", err)
	}

	// An explicitly empty list of trusted proxies stays empty.
	var none Answers
	none.Name, none.Auth = "w", "jwt-external"
	none.TrustedProxies = []string{}
	if got := none.WithDefaults().TrustedProxies; len(got) != 0 {
		t.Errorf("explicit empty trusted_proxies became %v", got)
	}
	// oauth off stays off with jwt-local.
	off := Answers{Name: "w", Auth: "jwt-local", OAuth: boolPtr(false)}.WithDefaults()
	if off.OAuthEnabled() {
		t.Error("oauth = false was overridden by the jwt-local default")
	}
}

func TestWithDefaultsCanonicalises(t *testing.T) {
	a := Answers{
		Name:           " weather ",
		Transports:     []string{"SSE", " stdio", "sse", "", "http"},
		Deploy:         []string{"release", "docker", "docker"},
		Auth:           "JWT-External",
		ProxyHeader:    "X-JWT-Payload",
		TrustedProxies: []string{"::1", "10.0.0.0/8", "10.0.0.0/8", "127.0.0.1"},
		License:        " Apache-2.0 ",
	}.WithDefaults()
	if a.Name != "weather" {
		t.Errorf("name %q not trimmed", a.Name)
	}
	if !slices.Equal(a.Transports, []string{"stdio", "http", "sse"}) {
		t.Errorf("transports = %v, want canonical order", a.Transports)
	}
	if !slices.Equal(a.Deploy, []string{"docker", "release"}) {
		t.Errorf("deploy = %v", a.Deploy)
	}
	if a.Auth != "jwt-external" || a.ProxyHeader != "x-jwt-payload" {
		t.Errorf("auth %q proxy header %q not lower-cased", a.Auth, a.ProxyHeader)
	}
	if a.License != "apache-2.0" {
		t.Errorf("license %q not trimmed and lower-cased", a.License)
	}
	if err := (Answers{Name: "w", License: "MIT"}).WithDefaults().Validate(); err != nil {
		t.Errorf("license MIT from a flag or file does not validate: %v", err)
	}
	if want := []string{"10.0.0.0/8", "127.0.0.1/32", "::1/128"}; !slices.Equal(a.TrustedProxies, want) {
		t.Errorf("trusted proxies = %v, want %v", a.TrustedProxies, want)
	}
	// Unknown values survive canonicalisation so that Validate can name them.
	if got := CanonicalTransports([]string{"ws", "stdio"}); !slices.Equal(got, []string{"stdio", "ws"}) {
		t.Errorf("CanonicalTransports dropped an unknown value: %v", got)
	}
	if got := CanonicalDeploy([]string{"none"}); got == nil || len(got) != 0 {
		t.Errorf(`CanonicalDeploy(["none"]) = %#v, want empty`, got)
	}
}

func TestDeployEmptyIsNotDefault(t *testing.T) {
	var a Answers
	a.Name = "w"
	a.Deploy = []string{}
	if got := a.WithDefaults().Deploy; len(got) != 0 {
		t.Errorf("deploy = [] became %v; an explicit empty list means no artifacts", got)
	}
	a.Deploy = nil
	a.MarkGiven(KeyDeploy)
	if got := a.WithDefaults().Deploy; len(got) != 0 {
		t.Errorf("deploy marked given but nil became %v", got)
	}
}

func TestMergePrecedence(t *testing.T) {
	file := Answers{Name: "from-file", Module: "example.com/file", Transports: []string{"sse"}, Description: "file", License: "mit"}
	file.MarkGiven(KeyAudience) // given as "" in the file
	var flags Answers
	flags.Module = "example.com/flag"
	flags.Deploy = []string{}
	flags.MarkGiven(KeyDeploy)

	m := Merge(file, flags)
	if m.Module != "example.com/flag" {
		t.Errorf("flag did not win over file: module %q", m.Module)
	}
	if m.License != "mit" || !m.Given(KeyLicense) {
		t.Errorf("license from the file lost: %q given=%v", m.License, m.Given(KeyLicense))
	}
	flags.License = "apache-2.0"
	if got := Merge(file, flags).License; got != "apache-2.0" {
		t.Errorf("license flag did not win over the file: %q", got)
	}
	if got := Merge(Answers{}, Answers{Name: "w"}).WithDefaults().License; got != DefaultLicense {
		t.Errorf("license given nowhere = %q, want the default %q", got, DefaultLicense)
	}
	if m.Name != "from-file" || m.Description != "file" || !slices.Equal(m.Transports, []string{"sse"}) {
		t.Errorf("file answers lost: %+v", m)
	}
	if !m.Given(KeyDeploy) || len(m.Deploy) != 0 {
		t.Errorf("explicit empty deploy from flags lost: %v given=%v", m.Deploy, m.Given(KeyDeploy))
	}
	if !m.Given(KeyAudience) {
		t.Error("audience given (empty) in the file is no longer given")
	}
	if m.Given(KeyAuth) {
		t.Error("auth was never given but counts as given")
	}
	// Merge does not share slices with its inputs.
	m.Transports[0] = "changed"
	if file.Transports[0] != "sse" {
		t.Error("Merge shares slices with its base")
	}
}

func TestMissing(t *testing.T) {
	keys := func(fs []Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Key)
		}
		return out
	}
	if got, want := keys(Answers{}.Missing()), []string{"name", "module", "description", "transports", "auth", "observability", "update_workflow", "deploy", "license"}; !slices.Equal(got, want) {
		t.Errorf("missing of nothing = %v, want %v", got, want)
	}
	a := Answers{Name: "w", Module: "example.com/w", Auth: "jwt-local", Issuer: "https://id.example.com"}
	if got, want := keys(a.Missing()), []string{"description", "transports", "audience", "jwks_uri", "oauth", "observability", "update_workflow", "deploy", "license"}; !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	a = Answers{Auth: "jwt-external"}
	if got := keys(a.Missing()); !slices.Contains(got, "proxy_header") || !slices.Contains(got, "trusted_proxies") || slices.Contains(got, "issuer") {
		t.Errorf("missing for jwt-external = %v", got)
	}
	if m := Defaults("w").Missing(); len(m) != 0 {
		t.Errorf("complete defaults still miss %v", keys(m))
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	a := Answers{
		Name:       "Bad_Name",
		Module:     "nodot",
		Transports: []string{"stdio", "carrier-pigeon"},
		Auth:       "none",
		Issuer:     "https://id.example.com", // only for jwt-local
		OAuth:      boolPtr(true),            // only for jwt-local
		Deploy:     []string{"docker", "ftp"},
		License:    "GPL-3.0",
	}.WithDefaults()
	err := a.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want *ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Key)
	}
	want := []string{"name", "module", "transports", "issuer", "oauth", "deploy", "license"}
	if !slices.Equal(got, want) {
		t.Errorf("problems for keys %v, want %v\n%v", got, want, err)
	}
	if !IsUsage(err) {
		t.Error("a validation error is not a usage error")
	}
	if !strings.Contains(err.Error(), `license: unknown license "gpl-3.0"; choose from apache-2.0, mit, none`) {
		t.Errorf("message does not explain the unknown license: %v", err)
	}
	if !strings.Contains(err.Error(), "issuer: is used only with auth jwt-local") {
		t.Errorf("message does not explain the misplaced issuer: %v", err)
	}

	// oauth = false is harmless without jwt-local.
	ok := Answers{Name: "w", OAuth: boolPtr(false)}.WithDefaults()
	if err := ok.Validate(); err != nil {
		t.Errorf("oauth = false with auth none: %v", err)
	}
	// jwt-local with bad details names each key.
	bad := Answers{Name: "w", Auth: "jwt-local", Issuer: "http://id.example.com", JWKSURI: "nope", Audience: "a b"}.WithDefaults()
	err = bad.Validate()
	for _, k := range []string{"issuer: ", "jwks_uri: ", "audience: "} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("Validate = %v, want a problem for %s", err, k)
		}
	}
	ext := Answers{Name: "w", Auth: "jwt-external", ProxyHeader: "bad header", TrustedProxies: []string{"10.0.0.1/8"}}.WithDefaults()
	err = ext.Validate()
	for _, k := range []string{"proxy_header: ", "trusted_proxies: "} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("Validate = %v, want a problem for %s", err, k)
		}
	}
}

func TestEnvPrefix(t *testing.T) {
	for in, want := range map[string]string{"weather": "WEATHER", "my-server-2": "MY_SERVER_2"} {
		if got := EnvPrefix(in); got != want {
			t.Errorf("EnvPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldsCoverAnswers(t *testing.T) {
	// Every exported field of Answers has a toml tag that is a key of Fields,
	// so an answers file can set everything the flags can.
	typ := reflect.TypeOf(Answers{})
	var tags []string
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); f.IsExported() {
			tags = append(tags, f.Tag.Get("toml"))
		}
	}
	var keys []string
	for _, f := range Fields() {
		keys = append(keys, f.Key)
	}
	if !slices.Equal(tags, keys) {
		t.Errorf("Answers toml tags %v differ from Fields keys %v", tags, keys)
	}
}

func TestStdioOnlyRefusesHTTPOnlyFeatures(t *testing.T) {
	base := Answers{Name: "local", Transports: []string{TransportStdio}}
	base.MarkGiven(KeyTransports)
	if d := base.WithDefaults().Deploy; slices.Contains(d, DeployHelm) || !slices.Contains(d, DeployDocker) {
		t.Errorf("default deploy for a stdio-only server = %v, want everything but helm", d)
	}
	for _, tc := range []struct {
		key string
		set func(*Answers)
	}{
		{KeyDeploy, func(a *Answers) { a.Deploy = []string{DeployHelm}; a.MarkGiven(KeyDeploy) }},
		{KeyAuth, func(a *Answers) {
			a.Auth = AuthJWTExternal
			a.MarkGiven(KeyAuth)
		}},
	} {
		a := base
		tc.set(&a)
		err := a.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), "only stdio") {
			t.Errorf("%s on a stdio-only server: err = %v, want a refusal naming stdio", tc.key, err)
		}
	}
}

func TestSetMarksGivenAndChecksTypes(t *testing.T) {
	var a Answers
	if err := a.Set(KeyModule, "example.com/x"); err != nil || a.Module != "example.com/x" || !a.Given(KeyModule) {
		t.Fatalf("Set module: %v, %+v", err, a)
	}
	if err := a.Set(KeyTransports, []string{"http", "sse"}); err != nil || !slices.Equal(a.Transports, []string{"http", "sse"}) {
		t.Fatalf("Set transports: %v, %v", err, a.Transports)
	}
	if err := a.Set(KeyOAuth, false); err != nil || a.OAuth == nil || *a.OAuth {
		t.Fatalf("Set oauth: %v, %v", err, a.OAuth)
	}
	if err := a.Set(KeyTransports, "http"); err == nil {
		t.Error("a string for a list answer was accepted")
	}
	if err := a.Set("nmae", "x"); err == nil {
		t.Error("an unknown key was accepted")
	}
}
