package oauth

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// maxProviderText bounds the provider's error text shown on a page.
const maxProviderText = 500

// The pages of the login flow are written with every value in HTML text
// (element content, never an attribute, a URL, a script or a style) and
// escaped with html.EscapeString, which is all that context needs: a
// provider's error_description (which arrives in the query string, from
// anyone) cannot inject markup. Writing them by hand keeps a template
// engine, and its start-up cost, out of every server.
const pageHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`

const pageStyle = `</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
textarea{width:100%;height:8rem;font-family:monospace;word-break:break-all}
code{background:#eee;padding:0 .2rem}
</style>
</head>
<body>
<h1>`

// page renders d.
func page(d pageData) []byte {
	var b strings.Builder
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	b.WriteString(pageHead)
	esc(d.Title)
	b.WriteString(pageStyle)
	esc(d.Title)
	b.WriteString("</h1>\n<p>")
	esc(d.Message)
	b.WriteString("</p>")
	if d.ErrorCode != "" {
		b.WriteString("\n<p>The authorization server said: <code id=\"error\">")
		esc(d.ErrorCode)
		b.WriteString("</code>")
		if d.ErrorDescription != "" {
			b.WriteString(": <span id=\"error_description\">")
			esc(d.ErrorDescription)
			b.WriteString("</span>")
		}
		b.WriteString("</p>")
	}
	if d.Subject != "" {
		b.WriteString("\n<p>Signed in as <code id=\"subject\">")
		esc(d.Subject)
		b.WriteString("</code>.</p>")
	}
	if d.Token != "" {
		b.WriteString("\n<p>Your access token")
		if d.ExpiresIn != 0 {
			b.WriteString(" (valid for " + strconv.FormatInt(d.ExpiresIn, 10) + " seconds)")
		}
		if d.Scope != "" {
			b.WriteString(", scopes <code>")
			esc(d.Scope)
			b.WriteString("</code>")
		}
		b.WriteString(". Send it as <code>Authorization: Bearer &lt;token&gt;</code>; treat it like a password.</p>\n<textarea id=\"access_token\" readonly>")
		esc(d.Token)
		b.WriteString("</textarea>")
	}
	b.WriteString("\n</body>\n</html>\n")
	return []byte(b.String())
}

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
	body := page(d)
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
	_, _ = w.Write(body)
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
