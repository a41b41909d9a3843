package oauth

import (
	"bytes"
	"encoding/json"
	"strings"
)

// registeredMetadata are the authorization-server metadata fields
// registered by RFC 8414, OpenID Connect Discovery and Session Management,
// and later IANA registrations (PAR, DPoP, RFC 9207, CIBA, MCP client id
// metadata documents). Their values are never secret, even when they
// mention secrets ("client_secret_basic"). Fields outside this list are
// relayed only when nothing about them looks like a credential.
var registeredMetadata = fieldSet(`
	issuer authorization_endpoint token_endpoint jwks_uri registration_endpoint
	scopes_supported response_types_supported response_modes_supported grant_types_supported
	token_endpoint_auth_methods_supported token_endpoint_auth_signing_alg_values_supported
	service_documentation ui_locales_supported op_policy_uri op_tos_uri revocation_endpoint
	revocation_endpoint_auth_methods_supported
	revocation_endpoint_auth_signing_alg_values_supported introspection_endpoint
	introspection_endpoint_auth_methods_supported
	introspection_endpoint_auth_signing_alg_values_supported code_challenge_methods_supported
	signed_metadata device_authorization_endpoint tls_client_certificate_bound_access_tokens
	mtls_endpoint_aliases require_pushed_authorization_requests
	pushed_authorization_request_endpoint require_signed_request_object
	authorization_response_iss_parameter_supported dpop_signing_alg_values_supported
	client_id_metadata_document_supported protected_resources
	authorization_details_types_supported userinfo_endpoint acr_values_supported
	subject_types_supported id_token_signing_alg_values_supported
	id_token_encryption_alg_values_supported id_token_encryption_enc_values_supported
	userinfo_signing_alg_values_supported userinfo_encryption_alg_values_supported
	userinfo_encryption_enc_values_supported request_object_signing_alg_values_supported
	request_object_encryption_alg_values_supported
	request_object_encryption_enc_values_supported display_values_supported
	claim_types_supported claims_supported claims_locales_supported claims_parameter_supported
	request_parameter_supported request_uri_parameter_supported
	require_request_uri_registration end_session_endpoint check_session_iframe
	frontchannel_logout_supported frontchannel_logout_session_supported
	backchannel_logout_supported backchannel_logout_session_supported
	authorization_signing_alg_values_supported authorization_encryption_alg_values_supported
	authorization_encryption_enc_values_supported introspection_signing_alg_values_supported
	introspection_encryption_alg_values_supported
	introspection_encryption_enc_values_supported backchannel_token_delivery_modes_supported
	backchannel_authentication_endpoint
	backchannel_authentication_request_signing_alg_values_supported
	backchannel_user_code_parameter_supported prompt_values_supported
	grant_management_actions_supported grant_management_endpoint
	grant_management_action_required
	pushed_authorization_request_endpoint_auth_methods_supported
`)

// fieldSet makes a set of the space-separated names in list.
func fieldSet(list string) map[string]bool {
	m := make(map[string]bool)
	for _, f := range strings.Fields(list) {
		m[f] = true
	}
	return m
}

// credentialWords make a field name look like it holds a credential.
var credentialWords = []string{"secret", "password", "passwd", "credential", "private", "api_key", "apikey"}

// privateJWKMembers are the JWK members that only private or symmetric
// keys have (RFC 7518 section 6).
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// stripSecrets returns the fields of an authorization-server metadata
// document that may be relayed to anyone: it drops every field whose name
// looks like a credential ("client_secret", "admin_password"), every field
// containing a private or symmetric JWK, and every unregistered field whose
// value mentions a secret. Misconfigured providers have been seen to put
// client credentials into their discovery documents; relaying them would
// publish them on one more origin.
func stripSecrets(fields map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(fields))
	for name, raw := range fields {
		if credentialName(name) || hasPrivateJWK(raw) {
			continue
		}
		if !registeredMetadata[name] && bytes.Contains(bytes.ToLower(raw), []byte("secret")) {
			continue
		}
		out[name] = raw
	}
	return out
}

func credentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// hasPrivateJWK reports whether raw contains, at any depth, an object that
// looks like a private or symmetric JWK ("kty" with "d", "k", ...), or an
// object member whose name looks like a credential.
func hasPrivateJWK(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	return walkPrivate(v, 0)
}

func walkPrivate(v any, depth int) bool {
	if depth > 32 {
		return true // absurd nesting: do not relay it
	}
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["kty"]; ok {
			for _, m := range privateJWKMembers {
				if _, ok := x[m]; ok {
					return true
				}
			}
		}
		for k, e := range x {
			if credentialName(k) || walkPrivate(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if walkPrivate(e, depth+1) {
				return true
			}
		}
	}
	return false
}
