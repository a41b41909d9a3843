package oauth

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"unicode"
)

// maxProviderText bounds the provider's error text shown on a page.
const maxProviderText = 500

// pageTemplate renders every page of the login flow. html/template escapes
// every value for its context, so a provider's error_description (which
// arrives in the query string, from anyone) cannot inject markup.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
textarea{width:100%;height:8rem;font-family:monospace;word-break:break-all}
code{background:#eee;padding:0 .2rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- if .ErrorCode}}
<p>The authorization server said: <code id="error">{{.ErrorCode}}</code>{{if .ErrorDescription}}: <span id="error_description">{{.ErrorDescription}}</span>{{end}}</p>
{{- end}}
{{- if .Subject}}
<p>Signed in as <code id="subject">{{.Subject}}</code>.</p>
{{- end}}
{{- if .Token}}
<p>Your access token{{if .ExpiresIn}} (valid for {{.ExpiresIn}} seconds){{end}}{{if .Scope}}, scopes <code>{{.Scope}}</code>{{end}}. Send it as <code>Authorization: Bearer &lt;token&gt;</code>; treat it like a password.</p>
<textarea id="access_token" readonly>{{.Token}}</textarea>
{{- end}}
</body>
</html>
`))

type pageData struct {
	Title            string
	Message          string
	ErrorCode        string
	ErrorDescription string
	Subject          string
	Token            string
	ExpiresIn        int64
	Scope            string
}

// renderPage writes a page that no cache may keep (it may hold a token),
// that no other site may frame, and that runs no script.
func renderPage(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	hdr.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) renderError(w http.ResponseWriter, status int, title, msg, providerCode, providerDesc string) {
	renderPage(w, status, pageData{
		Title:            title,
		Message:          msg,
		ErrorCode:        printableText(providerCode),
		ErrorDescription: printableText(providerDesc),
	})
}

func (h *Handler) renderSuccess(w http.ResponseWriter, tok *tokenResponse, subject string) {
	d := pageData{
		Title:   "Signed in",
		Message: "You are signed in. You can close this window.",
		Subject: printableText(subject),
	}
	if h.login.showToken {
		d.Message = "You are signed in. Paste the access token below into clients that cannot log in by themselves."
		d.Token = tok.AccessToken
		d.ExpiresIn = tok.ExpiresIn
		d.Scope = printableText(tok.Scope)
	}
	renderPage(w, http.StatusOK, d)
}

// printableText shortens s and replaces control characters, so provider
// text can neither flood the page nor play tricks with bidi controls.
func printableText(s string) string {
	s = clip(s, maxProviderText)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
}
