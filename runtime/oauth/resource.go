package oauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// resourceMetadataDoc is the RFC 9728 protected-resource metadata document.
type resourceMetadataDoc struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
	ResourcePolicyURI      string   `json:"resource_policy_uri,omitempty"`
	ResourceTOSURI         string   `json:"resource_tos_uri,omitempty"`
	ResourceSigningAlgs    []string `json:"resource_signing_alg_values_supported,omitempty"`
}

// resourceMetadata encodes the protected-resource metadata once: it depends
// on the configuration only.
func resourceMetadata(cfg config.OAuth, issuer, resource string, scopes []string) ([]byte, error) {
	servers := cfg.AuthorizationServers
	if len(servers) == 0 {
		servers = []string{issuer}
	}
	doc := resourceMetadataDoc{
		Resource:             resource,
		AuthorizationServers: slices.Clone(servers),
		ScopesSupported:      slices.Clone(scopes),
		// Tokens are read from the Authorization header only; announcing
		// the query or body methods would invite clients to leak them.
		BearerMethodsSupported: []string{"header"},
		ResourceName:           cfg.ResourceName,
		ResourceDocumentation:  cfg.ResourceDocumentation,
		ResourcePolicyURI:      cfg.ResourcePolicyURI,
		ResourceTOSURI:         cfg.ResourceTOSURI,
		ResourceSigningAlgs:    slices.Clone(cfg.ResourceSigningAlgs),
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cannot encode the protected-resource metadata: %w", err)
	}
	return append(b, '\n'), nil
}

// serveResourceMetadata serves the protected-resource metadata document.
func (h *Handler) serveResourceMetadata(w http.ResponseWriter, r *http.Request) {
	if !publicDocumentMethod(w, r) {
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(resourceMetadataMaxAge.Seconds())))
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(h.prmBody)
}
