package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// parseJWK reads the public keys a JOSE library writes, and refuses what a
// verifier must not use.
func TestParseJWK(t *testing.T) {
	testKeys(t)
	members := func(s signer) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(publicJWK(t, s, true), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	encode := func(m map[string]any, change func(map[string]any)) []byte {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		if change != nil {
			change(c)
		}
		b, _ := json.Marshal(c)
		return b
	}
	rsaJWK, ecJWK, edJWK := members(rsaSigner(t)), members(ecSigner(t)), members(edSigner(t))
	private, err := jwk.Import(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	privateJSON, _ := json.Marshal(private)

	for _, c := range []struct {
		name string
		raw  []byte
		want string // the Go type of the key, "" for refused
	}{
		{"RSA", encode(rsaJWK, nil), "rsa"},
		{"EC P-256", encode(ecJWK, nil), "ec"},
		{"Ed25519", encode(edJWK, nil), "ed"},
		{"a private RSA key: its public half", privateJSON, "rsa"},
		{"use enc", encode(rsaJWK, func(m map[string]any) { m["use"] = "enc" }), ""},
		{"key_ops without verify", encode(rsaJWK, func(m map[string]any) { m["key_ops"] = []string{"encrypt"} }), ""},
		{"key_ops with verify", encode(rsaJWK, func(m map[string]any) { m["key_ops"] = []string{"sign", "verify"} }), "rsa"},
		{"empty key_ops", encode(rsaJWK, func(m map[string]any) { m["key_ops"] = []string{} }), ""},
		{"oct", []byte(`{"kty":"oct","k":"c2VjcmV0"}`), ""},
		{"unknown kty", encode(rsaJWK, func(m map[string]any) { m["kty"] = "rsa" }), ""},
		{"member names are case-sensitive", []byte(strings.Replace(string(encode(rsaJWK, nil)), `"kty"`, `"KTY"`, 1)), ""},
		{"duplicate member", []byte(strings.Replace(string(encode(rsaJWK, nil)), `{`, `{"kty":"oct",`, 1)), ""},
		{"RSA under 2048 bits", encode(rsaJWK, func(m map[string]any) { m["n"] = m["n"].(string)[:200] }), ""},
		{"RSA exponent 1", encode(rsaJWK, func(m map[string]any) { m["e"] = "AQ" }), ""},
		{"RSA even exponent", encode(rsaJWK, func(m map[string]any) { m["e"] = "AQAA" }), ""},
		{"padded base64", encode(rsaJWK, func(m map[string]any) { m["e"] = "AQAB=" }), ""},
		{"n not a string", encode(rsaJWK, func(m map[string]any) { m["n"] = 7 }), ""},
		{"EC point off the curve", encode(ecJWK, func(m map[string]any) { m["y"] = m["x"] }), ""},
		{"EC coordinate too short", encode(ecJWK, func(m map[string]any) { m["x"] = m["x"].(string)[:20] }), ""},
		{"EC unknown curve", encode(ecJWK, func(m map[string]any) { m["crv"] = "secp256k1" }), ""},
		{"Ed25519 key too short", encode(edJWK, func(m map[string]any) { m["x"] = m["x"].(string)[:20] }), ""},
		{"X25519 is not a signature key", encode(edJWK, func(m map[string]any) { m["crv"] = "X25519" }), ""},
		{"not an object", []byte(`[]`), ""},
		{"not JSON", []byte(`{"kty":`), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := parseJWK(c.raw)
			got := ""
			if k != nil {
				switch k.pub.(type) {
				case *rsa.PublicKey:
					got = "rsa"
				case *ecdsa.PublicKey:
					got = "ec"
				case ed25519.PublicKey:
					got = "ed"
				}
			}
			if got != c.want {
				t.Fatalf("parseJWK(%s) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}
