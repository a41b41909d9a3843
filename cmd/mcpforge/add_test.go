package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpforge/mcpforge/generator"
)

// writeRepo renders answers with the generator and writes them to a new
// directory, as `mcpforge new --no-tidy --no-git` would.
func writeRepo(t *testing.T, a generator.Answers) string {
	t.Helper()
	set, err := generator.Render(a)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), a.Name)
	if err := generator.Write(set, dir, generator.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAddOutsideRepository(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"add", "tool", "x", "--dir", dir},
		{"add", "prompt", "x", "--dir", dir},
		{"add", "resource", "docs://x", "--dir", dir},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage || stderr != "mcpforge: not inside an mcpforge repository (no .mcpforge.toml here or in any parent); run mcpforge new first\n" || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("add wrote outside a repository: %v", entries)
	}
}

func TestAddFindsRepositoryFromSubdirectory(t *testing.T) {
	repo := writeRepo(t, generator.Answers{Name: "weather"})
	t.Chdir(filepath.Join(repo, "internal", "config"))
	code, stdout, stderr := runCLI(t, "add", "tool", "get_forecast", "--arg", "city:string:required")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "created internal/tools/get_forecast.go") || !strings.Contains(stdout, "updated .mcpforge.toml") {
		t.Errorf("stdout = %q", stdout)
	}
	rec, err := generator.ReadRecord(filepath.Join(repo, generator.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(repo, "internal", "tools", "get_forecast.go"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Files["internal/tools/get_forecast.go"] == "" || rec.Files["internal/tools/get_forecast_test.go"] == "" {
		t.Errorf("the record lacks the new files: %v", rec.Files)
	}
	if !strings.Contains(string(data), "City string `json:\"city\"`") {
		t.Errorf("tool file:\n%s", data)
	}
	// The record is still an answers file reproducing the repository.
	if code, _, stderr := runCLI(t, "new", "--answers", filepath.Join(repo, generator.RecordFile), "--dir", filepath.Join(t.TempDir(), "again"), "--dry-run"); code != 0 {
		t.Errorf("new --answers after add: exit %d: %s", code, stderr)
	}
}

// TestAddTwiceRefused adds each kind of item, then adds it again: the second
// add is refused and changes nothing.
func TestAddTwiceRefused(t *testing.T) {
	repo := writeRepo(t, generator.Answers{Name: "weather"})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "tool", "forecast"}, `tool "forecast" is registered already in internal/tools/forecast.go`},
		{[]string{"add", "prompt", "summarize"}, `prompt "summarize" is registered already in internal/prompts/summarize.go`},
		{[]string{"add", "resource", "weather://forecast/{city}"}, `resource "weather://forecast/{city}" is registered already in internal/resources/forecast.go`},
	} {
		args := append(c.args, "--dir", repo)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		before := readTree(t, repo)
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "mcpforge never overwrites") || stdout != "" {
			t.Errorf("%v again: exit %d, stdout %q, stderr %q", c.args, code, stdout, stderr)
		}
		if after := readTree(t, repo); !equalTrees(before, after) {
			t.Errorf("%v again changed the repository", c.args)
		}
	}
	// A name registered by a generated file is refused the same way.
	before := readTree(t, repo)
	if code, _, stderr := runCLI(t, "add", "tool", "hello_world", "--dir", repo); code != exitUsage || !strings.Contains(stderr, "internal/tools/hello_world.go") {
		t.Errorf("add tool hello_world: exit %d: %s", code, stderr)
	}
	if !equalTrees(before, readTree(t, repo)) {
		t.Error("a refused add changed the repository")
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestAddDryRun(t *testing.T) {
	repo := writeRepo(t, generator.Answers{Name: "weather"})
	before := readTree(t, repo)
	code, stdout, stderr := runCLI(t, "add", "tool", "forecast", "--arg", "city:string:required:The city", "--dir", repo, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"--- a/.mcpforge.toml\n+++ b/.mcpforge.toml\n",
		`+"internal/tools/forecast.go" = "sha256:`,
		"--- /dev/null\n+++ b/internal/tools/forecast.go\n@@ -0,0 +1,",
		"+	City string `json:\"city\"`",
		"--- /dev/null\n+++ b/internal/tools/forecast_test.go\n",
		"dry run: would add tool forecast to " + repo + "; nothing was written\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !equalTrees(before, readTree(t, repo)) {
		t.Error("--dry-run changed the repository")
	}
}

func TestAddUsageErrors(t *testing.T) {
	repo := writeRepo(t, generator.Answers{Name: "weather"})
	before := readTree(t, repo)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add"}, "say what to add: mcpforge add tool|prompt|resource"},
		{[]string{"add", "widget"}, `unknown thing to add "widget"`},
		{[]string{"add", "tool"}, "mcpforge add tool takes one argument, the tool name, but got 0"},
		{[]string{"add", "tool", "bad name"}, `tool name "bad name": may contain only ASCII letters, digits, '_', '-' and '.'`},
		{[]string{"add", "tool", strings.Repeat("x", 65)}, "must be at most 64 characters"},
		{[]string{"add", "tool", "x", "--arg", "city"}, `--arg "city": write it as NAME:TYPE[:FLAGS[:DESCRIPTION]]`},
		{[]string{"add", "tool", "x", "--arg", "n:int"}, `unknown type "int"; did you mean "integer"?`},
		{[]string{"add", "tool", "x", "--arg", "city:string:requried"}, "mcpforge: --arg \"city:string:requried\": unknown flag \"requried\"; did you mean \"required\"?\n"},
		{[]string{"add", "tool", "x", "--arg", "days:integer:Days ahead"}, "leave FLAGS empty: days:integer::Days ahead"},
		{[]string{"add", "tool", "x", "--arg", "tags:array"}, "write string[], number[], integer[], boolean[] or object[]"},
		{[]string{"add", "tool", "x", "--output", "t:num"}, `mcpforge: --output "t:num": unknown type "num"; did you mean "number"?`},
		{[]string{"add", "tool", "x", "--output", "temperature"}, `--output "temperature": write it as NAME:TYPE[:FLAGS[:DESCRIPTION]]`},
		{[]string{"add", "tool", "x", "--output", "t:number", "--output", "t:string"}, `output "t": is given twice; give each output once`},
		{[]string{"add", "tool", "x", "--scope", "a b"}, `--scope: "a b" is not an OAuth scope`},
		{[]string{"add", "tool", "x", "--scope", "weather:read"}, "mcpforge: --scope needs a server generated with --auth; this one has auth none\n"},
		{[]string{"add", "prompt", "p", "--arg", "n:number"}, "prompt arguments are strings"},
		{[]string{"add", "resource", "readme"}, `resource URI: "readme" has no scheme`},
		{[]string{"add", "resource", "docs://x", "--mime", "plain"}, `--mime: "plain" is not a MIME type`},
	} {
		args := append(c.args, "--dir", repo)
		if len(c.args) < 2 || c.args[1] == "widget" {
			args = c.args
		}
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if !equalTrees(before, readTree(t, repo)) {
		t.Error("a refused add changed the repository")
	}
}

// addAll adds a tool with one argument of every type (and, with scoped, the
// scope weather:read), a typed tool with outputs (typedTool), a prompt, a
// resource template and a resource, through the command line.
func addAll(t *testing.T, repo string, scoped bool) {
	t.Helper()
	tool := []string{"add", "tool", "get-forecast", "--description", "Weather forecast for a city",
		"--arg", "city:string:required:The city", "--arg", "days:integer::Days ahead: 1 to 7", "--arg", "ratio:number",
		"--arg", "metric:boolean", "--arg", "filter:object", "--arg", "tags:string[]", "--arg", "scores:number[]",
		"--arg", "ids:integer[]", "--arg", "flags:boolean[]", "--arg", "rows:object[]"}
	if scoped {
		tool = append(tool, "--scope", "weather:read")
	}
	for _, args := range [][]string{
		tool,
		typedTool,
		{"add", "prompt", "summarize", "--arg", "topic:string:required:What to summarize", "--arg", "style"},
		{"add", "resource", "weather://forecast/{city}", "--mime", "application/json", "--description", "A forecast as JSON"},
		{"add", "resource", "docs://readme", "--name", "readme"},
	} {
		if code, _, stderr := runCLI(t, append(args, "--dir", repo)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// TestAddEndToEnd adds a tool, a prompt and resources into every golden
// variant; the repository still builds, vets and passes its own tests, and a
// real client lists and uses the new items.
func TestAddEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: generates, builds, tests and runs every variant")
	}
	primeModuleCache(t)
	t.Setenv("GOPROXY", "off") // go mod tidy must work from the module cache
	for _, path := range variantFiles(t) {
		variant := strings.TrimSuffix(filepath.Base(path), ".toml")
		t.Run(variant, func(t *testing.T) {
			a, err := generator.LoadAnswers(path)
			if err != nil {
				t.Fatal(err)
			}
			a = a.WithDefaults()
			repo := writeRepo(t, a)
			if err := generator.Tidy(context.Background(), repo); err != nil {
				t.Fatal(err)
			}
			// --scope needs a server generated with --auth.
			scoped := a.Auth != generator.AuthNone
			addAll(t, repo, scoped)
			goCmd(t, repo, "vet", "./...")
			goCmd(t, repo, "test", "-count=1", "./...")
			bin := filepath.Join(t.TempDir(), a.Name)
			goCmd(t, repo, "build", "-o", bin, "./cmd/"+a.Name)

			listed := false
			if slices.Contains(a.Transports, generator.TransportStdio) {
				t.Run("stdio", func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					sess, err := newSDKClient().Connect(ctx, &mcpsdk.CommandTransport{Command: exec.Command(bin, "--transport", "stdio")}, nil)
					if err != nil {
						t.Fatal(err)
					}
					defer sess.Close()
					checkAdded(t, ctx, sess)
					checkTyped(t, ctx, sess)
					checkTypedTS(t, bin)
				})
				listed = true
			}
			if slices.Contains(a.Transports, generator.TransportHTTP) {
				t.Run("http", func(t *testing.T) {
					sec := newSecurity(t, readVariant(t, path))
					p := startServer(t, bin, sec, "--transport", "http")
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					connect := func(c claims) *mcpsdk.ClientSession {
						t.Helper()
						tr := &mcpsdk.StreamableClientTransport{Endpoint: p.base + "/mcp", HTTPClient: sec.client(p.base, c), MaxRetries: -1}
						sess, err := newSDKClient().Connect(ctx, tr, nil)
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { _ = sess.Close() })
						return sess
					}
					withScope := claims{"sub": "e2e-user", "scope": "tool:user weather:read"}
					checkAdded(t, ctx, connect(withScope))
					checkTyped(t, ctx, connect(withScope))
					if scoped {
						checkAddedScope(t, p.base, sec, withScope)
					}
				})
				listed = true
			}
			if !listed {
				t.Errorf("variant %s serves neither stdio nor http; nothing listed the new items", variant)
			}
		})
	}
}

// checkAddedScope proves over real HTTP, with real credentials, that the
// scope get-forecast declares in code is enforced as config-declared scopes
// are: a caller without it gets 403 insufficient_scope naming it and does not
// see the tool in tools/list; a caller with it lists and calls the tool.
func checkAddedScope(t *testing.T, base string, sec *security, withScope claims) {
	t.Helper()
	metadata := base + "/.well-known/oauth-protected-resource/mcp"
	call := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get-forecast","arguments":{"city":"Paris"}}}`
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

	t.Run("without the scope", func(t *testing.T) {
		name, value := sec.credentials(t, base, claims{"sub": "e2e-user", "scope": "tool:user"})
		id := openSession(t, base, name, value)
		resp, body := rawMCP(t, base, name, value, id, list)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "get-forecast") || !strings.Contains(body, "hello_world") {
			t.Errorf("tools/list for a caller without weather:read should list hello_world but not get-forecast: %d %s", resp.StatusCode, body)
		}
		resp, body = rawMCP(t, base, name, value, id, call)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("tools/call get-forecast without weather:read: status %d, want 403: %s", resp.StatusCode, body)
		}
		want := `Bearer error="insufficient_scope", scope="weather:read", resource_metadata="` + metadata + `"`
		if got := resp.Header.Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	})

	t.Run("with the scope", func(t *testing.T) {
		name, value := sec.credentials(t, base, withScope)
		id := openSession(t, base, name, value)
		resp, body := rawMCP(t, base, name, value, id, list)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "get-forecast") {
			t.Errorf("tools/list for a caller with weather:read lacks get-forecast: %d %s", resp.StatusCode, body)
		}
		resp, body = rawMCP(t, base, name, value, id, call)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `called with {\"city\":\"Paris\"}`) || strings.Contains(body, `"isError":true`) {
			t.Errorf("tools/call get-forecast with weather:read: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("announced in the 401 challenge", func(t *testing.T) {
		// default_scopes is empty: the challenge names every scope a tool
		// needs, the ones declared in code included.
		resp, body := rawMCP(t, base, "", "", "", initializeBody)
		if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(got, "weather:read") {
			t.Errorf("no credentials: %d, WWW-Authenticate %q, want 401 announcing weather:read: %s", resp.StatusCode, got, body)
		}
	})
}

// checkAdded lists the items addAll added and uses each once.
func checkAdded(t *testing.T, ctx context.Context, sess *mcpsdk.ClientSession) {
	t.Helper()
	tools, err := sess.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var forecast *mcpsdk.Tool
	for _, tool := range tools.Tools {
		if tool.Name == "get-forecast" {
			forecast = tool
		}
	}
	if forecast == nil {
		t.Fatalf("tools/list lacks get-forecast: %+v", tools.Tools)
	}
	schema, _ := forecast.InputSchema.(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	for name, typ := range map[string]string{"city": "string", "days": "integer", "ratio": "number", "metric": "boolean", "filter": "object",
		"tags": "string[]", "scores": "number[]", "ids": "integer[]", "flags": "boolean[]", "rows": "object[]"} {
		p, _ := props[name].(map[string]any)
		item, isArray := strings.CutSuffix(typ, "[]")
		items, _ := p["items"].(map[string]any)
		if isArray && (p["type"] != "array" || items["type"] != item) || !isArray && p["type"] != typ {
			t.Errorf("get-forecast argument %s = %v, want type %s", name, props[name], typ)
		}
	}
	if days, _ := props["days"].(map[string]any); days["description"] != "Days ahead: 1 to 7" {
		t.Errorf("get-forecast argument days = %v, want the description with its colon", days)
	}
	if req, _ := schema["required"].([]any); len(req) != 1 || req[0] != "city" {
		t.Errorf("get-forecast required = %v, want [city]", schema["required"])
	}
	if forecast.Annotations == nil || forecast.Annotations.Title != "Get forecast" {
		t.Errorf("get-forecast annotations = %+v", forecast.Annotations)
	}
	res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "get-forecast", Arguments: map[string]any{"city": "Paris", "days": 3}})
	if err != nil || res.IsError || len(res.Content) == 0 {
		t.Fatalf("tools/call get-forecast: %v, %+v", err, res)
	}
	if text, _ := res.Content[0].(*mcpsdk.TextContent); text == nil || !strings.Contains(text.Text, `get-forecast called with {"city":"Paris","days":3}`) {
		t.Errorf("get-forecast answered %+v", res.Content[0])
	}
	res, err = sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "get-forecast", Arguments: map[string]any{}})
	if err != nil || !res.IsError {
		t.Errorf("get-forecast without its required argument: %v, %+v", err, res)
	}

	prompts, err := sess.ListPrompts(ctx, nil)
	if err != nil || len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "summarize" || len(prompts.Prompts[0].Arguments) != 2 {
		t.Fatalf("prompts/list: %v, %+v", err, prompts)
	}
	got, err := sess.GetPrompt(ctx, &mcpsdk.GetPromptParams{Name: "summarize", Arguments: map[string]string{"topic": "rain"}})
	if err != nil || len(got.Messages) != 1 {
		t.Errorf("prompts/get summarize: %v, %+v", err, got)
	}

	resources, err := sess.ListResources(ctx, nil)
	if err != nil || len(resources.Resources) != 1 || resources.Resources[0].URI != "docs://readme" {
		t.Fatalf("resources/list: %v, %+v", err, resources)
	}
	templates, err := sess.ListResourceTemplates(ctx, nil)
	if err != nil || len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate != "weather://forecast/{city}" {
		t.Fatalf("resources/templates/list: %v, %+v", err, templates)
	}
	read, err := sess.ReadResource(ctx, &mcpsdk.ReadResourceParams{URI: "weather://forecast/paris"})
	if err != nil || len(read.Contents) != 1 || read.Contents[0].MIMEType != "application/json" {
		t.Fatalf("resources/read weather://forecast/paris: %v, %+v", err, read)
	}
	var content struct {
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal([]byte(read.Contents[0].Text), &content); err != nil || content.Variables["city"] != "paris" {
		t.Errorf("resources/read weather://forecast/paris: application/json content %q: %v", read.Contents[0].Text, err)
	}
}

// TestAddResourceFormats adds a resource of each placeholder format to a
// generated repository, which still vets and passes its own tests; a real
// client then reads each, and the content parses as its MIME type says,
// whatever the caller put into the URI.
func TestAddResourceFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: generates, builds, tests and runs a server")
	}
	primeModuleCache(t)
	t.Setenv("GOPROXY", "off")
	a := generator.Answers{Name: "formats", Transports: []string{generator.TransportStdio}}.WithDefaults()
	repo := writeRepo(t, a)
	if err := generator.Tidy(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"weather://forecast/{city}", "--mime", "application/json"},
		{"feeds://{feed}/items", "--mime", "application/x-ndjson"},
		{"docs://a%20b/{page}", "--mime", "application/xml"},
		{"site://{page}", "--mime", "text/html"},
		{"config://app", "--mime", "application/yaml"},
		{"images://{id}", "--mime", "image/png"},
		{"notes://p%41/{id}", "--mime", "text/plain"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"add", "resource", "--dir", repo}, args...)...); code != 0 {
			t.Fatalf("add resource %v: exit %d: %s", args, code, stderr)
		}
	}
	goCmd(t, repo, "vet", "./...")
	goCmd(t, repo, "test", "-count=1", "./internal/resources/")
	bin := filepath.Join(t.TempDir(), a.Name)
	goCmd(t, repo, "build", "-o", bin, "./cmd/"+a.Name)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := newSDKClient().Connect(ctx, &mcpsdk.CommandTransport{Command: exec.Command(bin, "--transport", "stdio")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// Values a caller controls, with characters each format must escape.
	hostile := `a"b<c>&d`
	read := func(uri string) *mcpsdk.ResourceContents {
		t.Helper()
		res, err := sess.ReadResource(ctx, &mcpsdk.ReadResourceParams{URI: uri})
		if err != nil || len(res.Contents) != 1 {
			t.Fatalf("resources/read %s: %v, %+v", uri, err, res)
		}
		return res.Contents[0]
	}
	escaped := strings.NewReplacer(`"`, "%22", "<", "%3C", ">", "%3E", "&", "%26").Replace(hostile)

	var doc struct {
		URI       string            `json:"uri"`
		Variables map[string]string `json:"variables"`
	}
	if c := read("weather://forecast/" + escaped); json.Unmarshal([]byte(c.Text), &doc) != nil || doc.Variables["city"] == "" {
		t.Errorf("application/json: %q is not the JSON object expected", c.Text)
	}
	if c := read("feeds://" + escaped + "/items"); !strings.HasSuffix(c.Text, "\n") || strings.Count(c.Text, "\n") != 1 || !json.Valid([]byte(c.Text)) {
		t.Errorf("application/x-ndjson: %q is not one JSON line", c.Text)
	}
	if c := read("config://app"); !json.Valid([]byte(c.Text)) {
		t.Errorf("application/yaml: %q is not JSON (which YAML reads)", c.Text)
	}
	for _, uri := range []string{"docs://a%20b/" + escaped, "site://" + escaped} {
		c := read(uri)
		dec := xml.NewDecoder(strings.NewReader(c.Text))
		dec.Strict = c.MIMEType == "application/xml"
		dec.AutoClose, dec.Entity = xml.HTMLAutoClose, xml.HTMLEntity
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", c.MIMEType, c.Text, err)
				break
			}
		}
		if strings.Contains(c.Text, "<c>") {
			t.Errorf("%s: a value from the URI reaches the markup unescaped: %q", c.MIMEType, c.Text)
		}
	}
	if c := read("images://1"); len(c.Blob) == 0 || c.MIMEType != "image/png" {
		t.Errorf("image/png: %+v, want a blob", c)
	}
	if c := read("notes://p%41/7"); !strings.Contains(c.Text, "notes://p%41/{id}") || !strings.Contains(c.Text, "id=7") {
		t.Errorf("text/plain: %q mangles the percent-encoded URI or the variable", c.Text)
	}
}
