package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
)

// jsonWebKey is the part of a JSON Web Key (RFC 7517, RFC 7518 section 6, RFC
// 8037) a verifier reads: only public members. A private key published by
// mistake is thus used as its public half, its private members never read.
type jsonWebKey struct {
	kty, kid, alg, use, crv string
	n, e, x, y              string
	keyOps                  []string
	hasKeyOps               bool
}

// decodeJWK decodes the members of a JWK by their exact, case-sensitive
// names (RFC 7517 section 4), refusing duplicate names and members of the
// wrong type.
func decodeJWK(raw []byte) (jsonWebKey, bool) {
	var k jsonWebKey
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil || checkDuplicateKeys(raw) != nil {
		return k, false
	}
	ok := true
	str := func(name string, dst *string) {
		if v, found := m[name]; found && json.Unmarshal(v, dst) != nil {
			ok = false
		}
	}
	str("kty", &k.kty)
	str("kid", &k.kid)
	str("alg", &k.alg)
	str("use", &k.use)
	str("crv", &k.crv)
	str("n", &k.n)
	str("e", &k.e)
	str("x", &k.x)
	str("y", &k.y)
	if v, found := m["key_ops"]; found {
		k.hasKeyOps = true
		ok = ok && json.Unmarshal(v, &k.keyOps) == nil
	}
	return k, ok
}

// parseJWK returns the verification key of one JWK, or nil when this server
// cannot or must not use it: not for signatures (use, key_ops), symmetric,
// an unknown type or curve, RSA under minRSABits, malformed members.
//
// It is written here rather than taken from a JOSE library: it is all the
// server needs of one, and keeps such a library (and what its packages
// initialise at start-up) out of every generated server.
func parseJWK(raw []byte) *verifyKey {
	k, ok := decodeJWK(raw)
	if !ok {
		return nil
	}
	if k.use != "" && k.use != "sig" {
		return nil
	}
	if k.hasKeyOps && !slices.Contains(k.keyOps, "verify") {
		return nil
	}
	vk := &verifyKey{kid: k.kid, alg: k.alg}
	switch k.kty {
	case "RSA":
		n, okN := b64BigInt(k.n)
		e, okE := b64BigInt(k.e)
		if !okN || !okE || n.BitLen() < minRSABits || e.BitLen() > 31 || e.Int64() < 3 || e.Bit(0) == 0 {
			return nil
		}
		vk.pub = &rsa.PublicKey{N: n, E: int(e.Int64())}
	case "EC":
		var curve elliptic.Curve
		switch k.crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil
		}
		size := (curve.Params().BitSize + 7) / 8
		x, okX := b64Fixed(k.x, size)
		y, okY := b64Fixed(k.y, size)
		if !okX || !okY {
			return nil
		}
		// ParseUncompressedPublicKey refuses a point that is not on the
		// curve: an invalid-curve point must never be used.
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil
		}
		vk.pub = pub
	case "OKP":
		x, ok := b64Fixed(k.x, ed25519.PublicKeySize)
		if k.crv != "Ed25519" || !ok {
			return nil
		}
		vk.pub = ed25519.PublicKey(x)
	default: // "oct" (a shared secret) and anything else
		return nil
	}
	return vk
}

// b64BigInt decodes an unpadded base64url unsigned integer (RFC 7518
// section 2, Base64urlUInt).
func b64BigInt(s string) (*big.Int, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// b64Fixed decodes unpadded base64url of exactly size bytes.
func b64Fixed(s string, size int) ([]byte, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil && len(b) == size
}
