package auth

import "testing"

func TestIdentityClaimsAreCopies(t *testing.T) {
	claims := map[string]any{"sub": "alice", "roles": []any{"reader"}, "tenant": map[string]any{"id": "acme"}}
	id := newIdentity(claims, true, nil)
	id.Claims["roles"].([]any)[0] = "admin"
	id.Claims["tenant"].(map[string]any)["id"] = "evil"
	if claims["roles"].([]any)[0] != "reader" || claims["tenant"].(map[string]any)["id"] != "acme" {
		t.Errorf("changing an identity changed the token's claims: %v", claims)
	}
}
