package generator

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"testing/fstest"
)

func TestValidateToolName(t *testing.T) {
	long := strings.Repeat("a", 64)
	cases := []strCase{
		{"get_forecast", ""},
		{"getForecast", ""},
		{"weather.forecast-v2", ""},
		{"a", ""},
		{"3d", ""},
		{"---", ""},
		{long, ""},
		{long + "a", "at most 64 characters"},
		{"", "is required"},
		{"get forecast", `has ' '`},
		{"get/forecast", `has '/'`},
		{"prévision", `has 'é'`},
		{"tool:x", `has ':'`},
	}
	check(t, "ValidateToolName", ValidateToolName, cases)
	check(t, "ValidatePromptName", ValidatePromptName, cases)
	check(t, "ValidateResourceName", ValidateResourceName, cases)
}

func TestValidateArgName(t *testing.T) {
	check(t, "ValidateArgName", ValidateArgName, []strCase{
		{"city", ""},
		{"max_days", ""},
		{"maxDays", ""},
		{"_private", ""},
		{"x-y", ""},
		{"", "is required"},
		{"2days", "must start with a letter"},
		{"-x", "must start with a letter"},
		{"a.b", `has '.'`},
		{"a b", `has ' '`},
		{strings.Repeat("a", 65), "at most 64"},
	})
}

func TestValidateScope(t *testing.T) {
	check(t, "ValidateScope", ValidateScope, []strCase{
		{"weather:read", ""},
		{"https://api.example.com/read", ""},
		{"tool:user", ""},
		{"", "is empty"},
		{"a b", "is not an OAuth scope"},
		{`a"b`, "is not an OAuth scope"},
		{`a\b`, "is not an OAuth scope"},
		{"é", "is not an OAuth scope"},
	})
}

func TestValidateResourceURI(t *testing.T) {
	check(t, "ValidateResourceURI", ValidateResourceURI, []strCase{
		{"docs://readme", ""},
		{"weather://forecast/{city}", ""},
		{"file:///etc/hosts", ""},
		{"search://items{?q,lang}", ""},
		{"repo://{owner}/{name}/files{/path*}", ""},
		{"urn:example:thing", ""},
		{"", "is required"},
		{"readme", "has no scheme"},
		{"/readme", "has no scheme"},
		{"1x://readme", "has no scheme"},
		{"docs://read me", "must not contain spaces"},
		{"docs://prévision", "non-ASCII"},
		{"weather://forecast/{city", "not a valid URI template"},
		{"weather://forecast/{ci ty}", "must not contain spaces"},
		{"weather://forecast/{ci$ty}", "not a valid URI template"},
		{"docs://" + strings.Repeat("a", 2048), "at most 2048"},
	})
}

func TestValidateMIMEType(t *testing.T) {
	check(t, "ValidateMIMEType", ValidateMIMEType, []strCase{
		{"text/plain", ""},
		{"application/json", ""},
		{"text/markdown; charset=utf-8", ""},
		{"", "is empty"},
		{"text", "is not a MIME type"},
		{"text/", "is not a MIME type"},
		{"/plain", "is not a MIME type"},
		{"text/plain; charset", "is not a MIME type"},
	})
}

func TestValidateItemDescription(t *testing.T) {
	check(t, "ValidateItemDescription", ValidateItemDescription, []strCase{
		{"", ""},
		{"Weather forecast: 7 days, « localisé »", ""},
		{"two\nlines", "single line"},
		{"tab\there", "single line"},
		{"\xff", "UTF-8"},
		{strings.Repeat("x", 1025), "at most 1024"},
	})
}

func TestParseToolArg(t *testing.T) {
	ok := []struct {
		in   string
		want ToolArg
	}{
		{"city:string", ToolArg{Name: "city", Type: "string"}},
		{"city:string:required", ToolArg{Name: "city", Type: "string", Required: true}},
		{"city:string:optional", ToolArg{Name: "city", Type: "string"}},
		{"city:string:", ToolArg{Name: "city", Type: "string"}},
		{"city:String:REQUIRED:The city: name and country", ToolArg{Name: "city", Type: "string", Required: true, Description: "The city: name and country"}},
		// An empty FLAGS field makes room for a description, whatever it
		// holds: a flag word, colons.
		{"city:string::City name", ToolArg{Name: "city", Type: "string", Description: "City name"}},
		{"city:string::required", ToolArg{Name: "city", Type: "string", Description: "required"}},
		{"city:string:::a:b:", ToolArg{Name: "city", Type: "string", Description: ":a:b:"}},
		{"days:integer:optional:Days ahead", ToolArg{Name: "days", Type: "integer", Description: "Days ahead"}},
		{"days:integer: Required , required :Days", ToolArg{Name: "days", Type: "integer", Required: true, Description: "Days"}},
		{"ratio:number", ToolArg{Name: "ratio", Type: "number"}},
		{"dry_run:boolean:", ToolArg{Name: "dry_run", Type: "boolean"}},
		{"filter:object", ToolArg{Name: "filter", Type: "object"}},
		{"tags:string[]:required", ToolArg{Name: "tags", Type: "array", Items: "string", Required: true}},
		{"scores:number[]", ToolArg{Name: "scores", Type: "array", Items: "number"}},
		{"ids:integer[]::The ids", ToolArg{Name: "ids", Type: "array", Items: "integer", Description: "The ids"}},
		{"flags:Boolean[]", ToolArg{Name: "flags", Type: "array", Items: "boolean"}},
		{"rows:object[]:required", ToolArg{Name: "rows", Type: "array", Items: "object", Required: true}},
	}
	for _, c := range ok {
		got, err := ParseToolArg(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseToolArg(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, want string }{
		{"city", "write it as NAME:TYPE[:FLAGS[:DESCRIPTION]] with TYPE one of string, number, integer, boolean, object, string[], number[], integer[], boolean[], object[], e.g. city:string:required"},
		{"", "argument name is required"},
		{":string", "argument name is required"},
		{"2x:string", "must start with a letter"},
		// The typo the grammar exists for: refused, with the flag meant.
		{"city:string:requried", `unknown flag "requried"; did you mean "required"?`},
		{"city:string:Requried:The city", `unknown flag "Requried"; did you mean "required"?`},
		{"city:string:optinal", `unknown flag "optinal"; did you mean "optional"?`},
		{"city:string:req", `unknown flag "req"; did you mean "required"?`},
		{"city:string:required,optoinal", `unknown flag "optoinal"; did you mean "optional"?`},
		// A description where the flags go: shown where it belongs.
		{"days:integer:Days ahead", `"Days ahead" is not a flag: FLAGS is empty or a comma list of required, optional; to give a description, leave FLAGS empty: days:integer::Days ahead`},
		{"days:integer:Days ahead:more", `"Days ahead" is not a flag: FLAGS is empty or a comma list of required, optional`},
		{"city:string:required,", `flags "required," hold an empty entry`},
		{"city:string:required,optional", "either required or optional"},
		{" days : integer : required , optional? ", `unknown flag "optional?"; did you mean "optional"?`},
		{"days:integer:required,later", `"later" is not a flag`},
		{"city:", "the type is missing; use one of string, number"},
		{"city::required", "the type is missing"},
		{"city:int", `unknown type "int"; did you mean "integer"?`},
		{"city:strnig", `unknown type "strnig"; did you mean "string"?`},
		{"city:bool[]", `unknown type "bool[]"; did you mean "boolean[]"?`},
		{"city:date", `unknown type "date"; use one of string, number, integer, boolean, object, string[]`},
		{"city:map[]", `unknown type "map[]"; use one of`},
		{"city:required", `"required" is a flag, not a type; the type comes first: NAME:TYPE:required`},
		// The old array of strings must now say what it holds.
		{"tags:array", `type "array" needs the type of its items: write string[], number[], integer[], boolean[] or object[]`},
		{"tags:array:required", `type "array" needs the type of its items`},
		{"grid:integer[][]", "arrays of arrays are not supported; use an array of objects (object[])"},
		{"grid:array[]", "arrays of arrays are not supported"},
		{"city:string:required:two\nlines", "single line"},
	}
	for _, c := range bad {
		_, err := ParseToolArg(c.in)
		var se *SpecError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), fmt.Sprintf("--arg %q: ", c.in)) {
			t.Errorf("ParseToolArg(%q) = %v, want a *SpecError naming the value and containing %q", c.in, err, c.want)
		}
	}
}

// TestKnownArgTypesParse checks that every type the messages and the help
// list parses, and means an array exactly when it ends in [].
func TestKnownArgTypesParse(t *testing.T) {
	for _, typ := range KnownArgTypes() {
		a, err := ParseToolArg("x:" + typ)
		if err != nil || a.TypeSpec() != typ || (a.Type == ArgArray) != strings.HasSuffix(typ, "[]") {
			t.Errorf("ParseToolArg(x:%s) = %+v, %v", typ, a, err)
		}
	}
}

func TestParsePromptArg(t *testing.T) {
	ok := []struct {
		in   string
		want PromptArg
	}{
		{"topic", PromptArg{Name: "topic"}},
		{"topic:string", PromptArg{Name: "topic"}},
		{"topic:", PromptArg{Name: "topic"}},
		{"topic::required", PromptArg{Name: "topic", Required: true}},
		{"topic:string:required:The topic", PromptArg{Name: "topic", Required: true, Description: "The topic"}},
		{"topic::optional:What to summarize: briefly", PromptArg{Name: "topic", Description: "What to summarize: briefly"}},
		{"topic:STRING::What to summarize", PromptArg{Name: "topic", Description: "What to summarize"}},
	}
	for _, c := range ok {
		got, err := ParsePromptArg(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePromptArg(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for in, want := range map[string]string{
		"topic:integer":           `prompt arguments are strings; write the type string or leave it empty, not "integer"`,
		"topic:string[]":          "prompt arguments are strings",
		"topic:text":              `unknown type "text"; prompt arguments are strings`,
		"topic:required":          `"required" is a flag, not a type; prompt arguments are strings, so write topic:string:required or topic::required`,
		"topic:required:The text": `"required" is a flag, not a type`,
		"topic:string:requierd":   `unknown flag "requierd"; did you mean "required"?`,
		"topic:string:The topic":  "to give a description, leave FLAGS empty: topic:string::The topic",
		"":                        "argument name is required",
		"a b":                     `has ' '`,
	} {
		_, err := ParsePromptArg(in)
		var se *SpecError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePromptArg(%q) = %v, want a *SpecError containing %q", in, err, want)
		}
	}
}

func TestNameDerivation(t *testing.T) {
	for _, c := range []struct{ name, camel, snake string }{
		{"get_forecast", "getForecast", "get_forecast"},
		{"getForecast", "getForecast", "get_forecast"},
		{"weather.forecast-v2", "weatherForecastV2", "weather_forecast_v2"},
		{"HTTPGet", "httpget", "httpget"},
		{"3d-view", "tool3dView", "3d_view"},
		{"---", "tool", "tool"},
		{"x", "x", "x"},
	} {
		if got := camel(c.name, "tool"); got != c.camel {
			t.Errorf("camel(%q) = %q, want %q", c.name, got, c.camel)
		}
		if got := snake(c.name, "tool"); got != c.snake {
			t.Errorf("snake(%q) = %q, want %q", c.name, got, c.snake)
		}
	}
	for stem, want := range map[string]bool{
		"forecast": false, "linux": false, "test": false, "my_test": true, "run_linux": true,
		"build_arm64": true, "x_windows_amd64": true, "linux_tool": false, "latest": false,
	} {
		if got := needsFileSuffix(stem); got != want {
			t.Errorf("needsFileSuffix(%q) = %v, want %v", stem, got, want)
		}
	}
	for uri, want := range map[string]string{
		"weather://forecast/{city}":  "forecast",
		"docs://readme":              "readme",
		"file:///etc/hosts":          "hosts",
		"config://app/settings.json": "settings.json",
		"repo://{owner}/{name}":      "repo",
		"search://items{?q}":         "items",
		"urn:example:a b":            "example_a_b",
	} {
		if got := resourceNameFromURI(uri); got != want {
			t.Errorf("resourceNameFromURI(%q) = %q, want %q", uri, got, want)
		}
	}
}

// renderedRepo renders real answers in memory and returns the repository as
// add sees it.
func renderedRepo(t *testing.T, a Answers) Repo {
	t.Helper()
	set, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range set.Files() {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	rec, err := ParseRecord(RecordFile, fsys[RecordFile].Data)
	if err != nil {
		t.Fatal(err)
	}
	return Repo{Record: rec, FS: fsys}
}

// apply returns the repository with the result's files written into it.
func apply(repo Repo, res *AddResult) Repo {
	fsys := fstest.MapFS{}
	for p, f := range repo.FS.(fstest.MapFS) {
		fsys[p] = f
	}
	for _, f := range res.Files.Files() {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	rec, err := ParseRecord(RecordFile, fsys[RecordFile].Data)
	if err != nil {
		panic(err)
	}
	return Repo{Record: rec, FS: fsys}
}

func parses(t *testing.T, path string, data []byte) {
	t.Helper()
	if _, err := parser.ParseFile(token.NewFileSet(), path, data, parser.AllErrors); err != nil {
		t.Errorf("%s does not parse: %v\n%s", path, err, data)
	}
}

func TestAddTool(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddTool(repo, ToolSpec{
		Name:        "get-forecast",
		Description: `Weather "forecast" for a city`,
		Args: []ToolArg{
			{Name: "city", Type: ArgString, Required: true, Description: "The city"},
			{Name: "days", Type: ArgInteger},
			{Name: "type", Type: ArgObject, Required: true},
			{Name: "tags", Type: ArgArray, Items: ArgString},
			{Name: "scores", Type: ArgArray, Items: ArgNumber, Required: true},
			{Name: "ids", Type: ArgArray, Items: ArgInteger},
			{Name: "flags", Type: ArgArray, Items: ArgBoolean},
			{Name: "rows", Type: ArgArray, Items: ArgObject, Required: true},
			{Name: "extra", Type: ArgArray, Items: ArgObject},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"internal/tools/get_forecast.go", "internal/tools/get_forecast_test.go"}
	if strings.Join(res.Created, " ") != strings.Join(want, " ") {
		t.Errorf("created %v, want %v", res.Created, want)
	}
	if got := res.Files.Paths(); len(got) != 3 || got[0] != RecordFile {
		t.Errorf("files %v, want the record and the two new files", got)
	}
	src, _ := res.Files.Get(want[0])
	for _, s := range []string{
		`func init() { register(getForecastTool(), typedtool.Text(getForecast)) }`,
		`"example.com/weather/internal/typedtool"`,
		`mcp.NewTool("get-forecast",`,
		`mcp.WithDescription("Weather \"forecast\" for a city"),`,
		`mcp.WithTitleAnnotation("Get forecast"),`,
		`mcp.WithReadOnlyHintAnnotation(false),`,
		`mcp.WithDestructiveHintAnnotation(true),`,
		"mcp.WithString(\"city\",\n\t\t\tmcp.Required(),\n\t\t\tmcp.Description(\"The city\"),\n\t\t),",
		`mcp.WithInteger("days"),`,
		"mcp.WithArray(\"tags\",\n\t\t\tmcp.WithStringItems(),\n\t\t),",
		// Every array carries the type of its items in the schema.
		"mcp.WithArray(\"scores\",\n\t\t\tmcp.WithNumberItems(),\n\t\t\tmcp.Required(),\n\t\t),",
		"mcp.WithArray(\"ids\",\n\t\t\tmcp.WithIntegerItems(),\n\t\t),",
		"mcp.WithArray(\"flags\",\n\t\t\tmcp.WithBooleanItems(),\n\t\t),",
		"mcp.WithArray(\"rows\",\n\t\t\tmcp.Items(map[string]any{\"type\": \"object\"}),\n\t\t\tmcp.Required(),\n\t\t),",
		// The arguments struct: required scalars as values, optional ones as
		// pointers, arrays with their item type, objects as JSON, never maps.
		"\t// The city\n\tCity   string            `json:\"city\"`",
		"Days   *int              `json:\"days,omitempty\"`",
		"Type   json.RawMessage   `json:\"type\"`",
		"Tags   []string          `json:\"tags,omitempty\"`",
		"Scores []float64         `json:\"scores\"`",
		"Rows   []json.RawMessage `json:\"rows\"`",
		"func getForecast(ctx context.Context, args getForecastArgs) (string, error) {",
		`return "get-forecast called with " + string(data), nil`,
	} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("tool file lacks %q:\n%s", s, src.Data)
		}
	}
	for _, s := range []string{".(map[string]any)", "]map[string]any", "GetArguments", "RequireString", "OutputSchema", "typedtool.Output"} {
		if strings.Contains(string(src.Data), s) {
			t.Errorf("tool file has %q:\n%s", s, src.Data)
		}
	}
	parses(t, src.Path, src.Data)
	test, _ := res.Files.Get(want[1])
	parses(t, test.Path, test.Data)
	for _, s := range []string{"func TestGetForecast(t *testing.T)", "func TestGetForecastListed(t *testing.T)",
		"res, err := getForecast(context.Background(), getForecastArgs{",
		"Days:   new(3),", `Scores: []float64{1.5},`, "Type:   json.RawMessage(`{\"key\": \"value\"}`),",
		`[]string{"city", "type", "scores", "rows"})`,
		`wantToolError(t, call(t, "get-forecast", map[string]any{}), "missing required argument \"city\"")`,
		`"scores": []any{1.5, 2.5},`, `"ids":    []any{1.0, 2.0},`, `"flags":  []any{true, false},`, `"rows":   []any{map[string]any{"key": "value"}},`} {
		if !strings.Contains(string(test.Data), s) {
			t.Errorf("test file lacks %q:\n%s", s, test.Data)
		}
	}
	if strings.Contains(string(test.Data), "Scopes") || strings.Contains(string(test.Data), "checkStructured") || len(res.Notes) != 0 {
		t.Errorf("a described tool without scopes or outputs got a scope test, an output check or notes %q:\n%s", res.Notes, test.Data)
	}

	// The record lists the new files with their hashes and is still a valid
	// answers file with the same answers.
	after := apply(repo, res)
	for _, p := range want {
		f, _ := res.Files.Get(p)
		if after.Record.Files[p] != hashOf(f.Data) {
			t.Errorf("record hash of %s = %q", p, after.Record.Files[p])
		}
	}
	if len(after.Record.Files) != len(repo.Record.Files)+2 {
		t.Errorf("record holds %d files, want %d", len(after.Record.Files), len(repo.Record.Files)+2)
	}
	if after.Record.Answers.Name != "weather" || after.Record.MCPForgeVersion != repo.Record.MCPForgeVersion {
		t.Errorf("record answers changed: %+v", after.Record)
	}
	if _, ok := repo.Record.Files[want[0]]; ok {
		t.Error("AddTool modified the caller's record")
	}

	// Adding the same name again is refused, as is a name registered by a
	// template file.
	for _, name := range []string{"get-forecast", "hello_world", "whoami"} {
		_, err := AddTool(after, ToolSpec{Name: name})
		if !errors.Is(err, ErrAlreadyExists) || !IsUsage(err) || !strings.Contains(err.Error(), "registered already in internal/tools/") {
			t.Errorf("AddTool(%q) again = %v, want ErrAlreadyExists", name, err)
		}
	}
}

func TestAddToolNameClashes(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	cases := []struct {
		name, file, init string
	}{
		// hello_world.go exists and helloWorld is declared.
		{"hello-world", "hello_world_tool", "register(helloWorld2Tool(), typedtool.Text(helloWorld2))"},
		// register is the registry's function; init, string and type are
		// taken by the language.
		{"register", "register", "register(register2Tool(), typedtool.Text(register2))"},
		{"init", "init", "register(init2Tool(), typedtool.Text(init2))"},
		{"string", "string", "register(string2Tool(), typedtool.Text(string2))"},
		{"type", "type", "register(type2Tool(), typedtool.Text(type2))"},
		// tools.go is the registry's file.
		{"tools", "tools_tool", "register(toolsTool(), typedtool.Text(tools))"},
		// Suffixes the go tool would read as a test or a build constraint.
		{"load_test", "load_test_tool", "register(loadTestTool(), typedtool.Text(loadTest))"},
		{"run.linux", "run_linux_tool", "register(runLinuxTool(), typedtool.Text(runLinux))"},
		{"3d", "3d", "register(tool3dTool(), typedtool.Text(tool3d))"},
	}
	for _, c := range cases {
		res, err := AddTool(repo, ToolSpec{Name: c.name})
		if err != nil {
			t.Errorf("AddTool(%q): %v", c.name, err)
			continue
		}
		src, ok := res.Files.Get("internal/tools/" + c.file + ".go")
		if !ok {
			t.Errorf("AddTool(%q) wrote %v, want %s.go", c.name, res.Created, c.file)
			continue
		}
		if !strings.Contains(string(src.Data), c.init) {
			t.Errorf("AddTool(%q) lacks %q:\n%s", c.name, c.init, src.Data)
		}
		parses(t, src.Path, src.Data)
	}

	// Argument names become exported fields, each its own even where two
	// names give the same one.
	res, err := AddTool(repo, ToolSpec{Name: "x", Args: []ToolArg{
		{Name: "func", Type: ArgString, Required: true}, {Name: "ctx", Type: ArgBoolean}, {Name: "a-b", Type: ArgNumber}, {Name: "a_b", Type: ArgNumber}, {Name: "x", Type: ArgString},
	}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/tools/x.go")
	for _, s := range []string{"Func string   `json:\"func\"`", "Ctx  *bool    `json:\"ctx,omitempty\"`", "AB   *float64 `json:\"a-b,omitempty\"`", "AB2  *float64 `json:\"a_b,omitempty\"`", "X    *string  `json:\"x,omitempty\"`"} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("tool file lacks %q:\n%s", s, src.Data)
		}
	}
}

func TestAddToolRefusals(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	for _, c := range []struct {
		spec ToolSpec
		want string
	}{
		{ToolSpec{Name: "bad name"}, `tool name "bad name": may contain only`},
		{ToolSpec{Name: ""}, "is required"},
		{ToolSpec{Name: "x", Args: []ToolArg{{Name: "a", Type: ArgString}, {Name: "a", Type: ArgNumber}}}, `argument "a": is given twice`},
		{ToolSpec{Name: "x", Args: []ToolArg{{Name: "a", Type: "int"}}}, `unknown type "int"`},
		{ToolSpec{Name: "x", Scopes: []string{"a b"}}, "--scope: "},
		{ToolSpec{Name: "x", Description: "a\nb"}, "--description: "},
		{ToolSpec{Name: "x", Outputs: []ToolArg{{Name: "t", Type: ArgNumber}, {Name: "t", Type: ArgString}}}, `output "t": is given twice; give each output once`},
		{ToolSpec{Name: "x", Outputs: []ToolArg{{Name: "t", Type: ArgArray}}}, `output "t": unknown type "[]"`},
		{ToolSpec{Name: "x", Outputs: []ToolArg{{Name: "2t", Type: ArgNumber}}}, `output "2t": must start with a letter`},
	} {
		_, err := AddTool(repo, c.spec)
		var se *SpecError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddTool(%+v) = %v, want a *SpecError containing %q", c.spec, err, c.want)
		}
	}

	// A tools package that lost its register function, or the directory
	// itself, fails cleanly.
	broken := apply(repo, &AddResult{Files: &FileSet{}})
	fsys := broken.FS.(fstest.MapFS)
	fsys["internal/tools/tools.go"] = &fstest.MapFile{Data: []byte("package tools\n\nfunc Register() {}\n")}
	if _, err := AddTool(broken, ToolSpec{Name: "x"}); !errors.Is(err, ErrRestructured) || !strings.Contains(err.Error(), "no function register(tool, handler) or register(tool, handler, scopes ...string)") {
		t.Errorf("without register: %v", err)
	}
	fsys["internal/tools/tools.go"] = &fstest.MapFile{Data: []byte("package tools\n\nfunc register( {\n")}
	if _, err := AddTool(broken, ToolSpec{Name: "x"}); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("with a broken file: %v", err)
	}
	for p := range fsys {
		if strings.HasPrefix(p, "internal/tools/") {
			delete(fsys, p)
		}
	}
	if _, err := AddTool(broken, ToolSpec{Name: "x"}); !errors.Is(err, ErrRestructured) || !strings.Contains(err.Error(), "internal/tools does not exist") {
		t.Errorf("without internal/tools: %v", err)
	}

	// A repository without the package typed tools need (generated before
	// it existed) is refused, not given a tool that does not build.
	old := apply(repo, &AddResult{Files: &FileSet{}})
	for p := range old.FS.(fstest.MapFS) {
		if strings.HasPrefix(p, "internal/typedtool/") {
			delete(old.FS.(fstest.MapFS), p)
		}
	}
	if _, err := AddTool(old, ToolSpec{Name: "x"}); !errors.Is(err, ErrRestructured) || !strings.Contains(err.Error(), "internal/typedtool does not exist") {
		t.Errorf("without internal/typedtool: %v", err)
	}
}

func TestParseToolOutput(t *testing.T) {
	for in, want := range map[string]ToolArg{
		"temperature:number":                  {Name: "temperature", Type: ArgNumber, Required: true},
		"temperature:number::Degrees Celsius": {Name: "temperature", Type: ArgNumber, Required: true, Description: "Degrees Celsius"},
		"summary:string:optional":             {Name: "summary", Type: ArgString},
		"summary:string:required":             {Name: "summary", Type: ArgString, Required: true},
		"tags:string[]:optional:The tags":     {Name: "tags", Type: ArgArray, Items: ArgString, Description: "The tags"},
		"raw:object":                          {Name: "raw", Type: ArgObject, Required: true},
	} {
		got, err := ParseToolOutput(in)
		if err != nil || got != want {
			t.Errorf("ParseToolOutput(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"temperature":                `--output "temperature": write it as NAME:TYPE[:FLAGS[:DESCRIPTION]]`,
		"t:num":                      `--output "t:num": unknown type "num"; did you mean "number"?`,
		"t:number:optinal":           `--output "t:number:optinal": unknown flag "optinal"; did you mean "optional"?`,
		"t:number:required,optional": "either required or optional",
	} {
		if _, err := ParseToolOutput(in); err == nil || !strings.Contains(err.Error(), want) || !IsUsage(err) {
			t.Errorf("ParseToolOutput(%q) = %v, want a usage error containing %q", in, err, want)
		}
	}
	// --arg keeps its default: optional.
	if a, err := ParseToolArg("days:integer"); err != nil || a.Required {
		t.Errorf("ParseToolArg(days:integer) = %+v, %v; want optional", a, err)
	}
}

func TestAddToolOutputs(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddTool(repo, ToolSpec{
		Name: "forecast",
		Args: []ToolArg{{Name: "city", Type: ArgString, Required: true}},
		Outputs: []ToolArg{
			{Name: "temperature", Type: ArgNumber, Required: true, Description: "Degrees Celsius"},
			{Name: "summary", Type: ArgString},
			{Name: "hours", Type: ArgArray, Items: ArgInteger, Required: true},
			{Name: "details", Type: ArgObject, Required: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/tools/forecast.go")
	for _, s := range []string{
		"func init() { register(forecastTool(), typedtool.Structured(forecast)) }",
		"type forecastResult struct {\n\t// Degrees Celsius\n\tTemperature float64         `json:\"temperature\"`\n\tSummary     *string         `json:\"summary,omitempty\"`\n\tHours       []int           `json:\"hours\"`\n\tDetails     json.RawMessage `json:\"details\"`\n}",
		"\t\ttypedtool.Output(\n\t\t\tmcp.WithNumber(\"temperature\",\n\t\t\t\tmcp.Required(),\n\t\t\t\tmcp.Description(\"Degrees Celsius\"),\n\t\t\t),\n\t\t\tmcp.WithString(\"summary\"),",
		"func forecast(ctx context.Context, args forecastArgs) (forecastResult, error) {",
		// The skeleton's result already matches the schema: every required
		// field set, arrays and objects not null.
		"return forecastResult{\n\t\tTemperature: 0,\n\t\tHours:       []int{},\n\t\tDetails:     json.RawMessage(`{}`),\n\t}, nil",
	} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("tool file lacks %q:\n%s", s, src.Data)
		}
	}
	test, _ := res.Files.Get("internal/tools/forecast_test.go")
	for _, s := range []string{
		`checkProperties(t, "output", tool.OutputSchema.Properties, tool.OutputSchema.Required,`,
		`[]string{"temperature", "summary", "hours", "details"},`,
		`[]string{"temperature", "hours", "details"})`,
		"checkStructured(t, tool, res)",
	} {
		if !strings.Contains(string(test.Data), s) {
			t.Errorf("test file lacks %q:\n%s", s, test.Data)
		}
	}
	parses(t, src.Path, src.Data)
	parses(t, test.Path, test.Data)
}

func TestAddToolRegisteredThroughConstant(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	fsys := apply(repo, &AddResult{Files: &FileSet{}}).FS.(fstest.MapFS)
	fsys["internal/tools/custom.go"] = &fstest.MapFile{Data: []byte(`package tools

import m "github.com/mark3labs/mcp-go/mcp"

const customName = "custom"

func init() {
	register(m.NewTool(customName), nil)
	register(m.Tool{Name: "literal"}, nil)
}
`)}
	fsys["internal/tools/custom_test.go"] = &fstest.MapFile{Data: []byte(`package tools

import "github.com/mark3labs/mcp-go/mcp"

var _ = mcp.NewTool("only_in_a_test")
`)}
	r := Repo{Record: repo.Record, FS: fsys}
	for _, name := range []string{"custom", "literal"} {
		if _, err := AddTool(r, ToolSpec{Name: name}); !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "custom.go") {
			t.Errorf("AddTool(%q) = %v, want it refused as registered in custom.go", name, err)
		}
	}
	if _, err := AddTool(r, ToolSpec{Name: "only_in_a_test"}); err != nil {
		t.Errorf("a tool built only in a test counts as registered: %v", err)
	}
}

func TestAddToolScopes(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather", Transports: []string{TransportHTTP}, Auth: AuthJWTLocal,
		Issuer: "https://id.example.com", JWKSURI: "https://id.example.com/jwks"})
	res, err := AddTool(repo, ToolSpec{Name: "admin", Args: []ToolArg{{Name: "id", Type: ArgString, Required: true}}, Scopes: []string{"weather:admin", "weather:write"}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/tools/admin.go")
	for _, s := range []string{
		`func init() { register(adminTool(), typedtool.Text(admin), "weather:admin", "weather:write") }`,
		"A caller needs the OAuth scopes weather:admin weather:write to use the admin tool.",
		"over HTTP a caller without them gets 403 insufficient_scope and does not see the tool in tools/list.",
		"Id string `json:\"id\"`",
	} {
		// Comments are compared unwrapped.
		if !strings.Contains(strings.ReplaceAll(string(src.Data), "\n// ", " "), s) {
			t.Errorf("tool file lacks %q:\n%s", s, src.Data)
		}
	}
	for _, s := range []string{"internal/auth", "adminScopes", "FromContext", "insufficient scope"} {
		if strings.Contains(string(src.Data), s) {
			t.Errorf("tool file still checks scopes itself (%q):\n%s", s, src.Data)
		}
	}
	parses(t, src.Path, src.Data)
	test, _ := res.Files.Get("internal/tools/admin_test.go")
	for _, s := range []string{
		"func TestAdminScopes(t *testing.T) {",
		`want := []string{"weather:admin", "weather:write"}`,
		`if got := Scopes()["admin"]; !slices.Equal(got, want) {`,
	} {
		if !strings.Contains(string(test.Data), s) {
			t.Errorf("test file lacks %q:\n%s", s, test.Data)
		}
	}
	parses(t, test.Path, test.Data)
	if len(res.Notes) != 2 || !strings.Contains(res.Notes[1], "enforces the scopes weather:admin weather:write on tool admin") ||
		!strings.Contains(res.Notes[1], "403 insufficient_scope") || !strings.Contains(res.Notes[1], "tools/list hides") ||
		strings.Contains(res.Notes[1], "tool_scopes") {
		t.Errorf("notes = %q", res.Notes)
	}

	// Without scopes, the register call stays the short one.
	res, err = AddTool(repo, ToolSpec{Name: "open", Description: "Open a note"})
	if err != nil {
		t.Fatal(err)
	}
	if src, _ := res.Files.Get("internal/tools/open.go"); !strings.Contains(string(src.Data), "func init() { register(openTool(), typedtool.Text(open)) }") || len(res.Notes) != 0 {
		t.Errorf("notes %q, file:\n%s", res.Notes, src.Data)
	}

	// A tools package from before code-declared scopes (register without
	// them, or no Scopes) takes tools without scopes only.
	old := apply(repo, &AddResult{Files: &FileSet{}})
	fsys := old.FS.(fstest.MapFS)
	for _, tools := range []string{
		"package tools\n\nimport \"github.com/mark3labs/mcp-go/mcp\"\n\nfunc register(tool mcp.Tool, handler any) {}\n",
		"package tools\n\nimport \"github.com/mark3labs/mcp-go/mcp\"\n\nfunc register(tool mcp.Tool, handler any, scopes ...string) {}\n",
		"package tools\n\nimport \"github.com/mark3labs/mcp-go/mcp\"\n\nfunc register(tool mcp.Tool, handler any, scopes ...int) {}\n\nfunc Scopes() map[string][]string { return nil }\n",
	} {
		fsys["internal/tools/tools.go"] = &fstest.MapFile{Data: []byte(tools)}
		if _, err := AddTool(old, ToolSpec{Name: "x"}); err != nil {
			t.Errorf("a tool without scopes, register %q: %v", tools, err)
		}
		_, err := AddTool(old, ToolSpec{Name: "x", Scopes: []string{"a"}})
		if !errors.Is(err, ErrRestructured) || !strings.Contains(err.Error(), "--scope needs register(tool, handler, scopes ...string) and Scopes in internal/tools") {
			t.Errorf("a tool with scopes, register %q: %v", tools, err)
		}
	}
}

func TestAddToolScopesNeedAuth(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddTool(repo, ToolSpec{Name: "admin", Scopes: []string{"weather:admin"}})
	if res != nil || !errors.Is(err, ErrScopesNeedAuth) || !IsUsage(err) ||
		err.Error() != "--scope needs a server generated with --auth; this one has auth none" {
		t.Errorf("AddTool with --scope without auth = %v, %v", res, err)
	}
	// An old record without the auth key means none too.
	repo.Record.Answers.Auth = ""
	if _, err := AddTool(repo, ToolSpec{Name: "admin", Scopes: []string{"weather:admin"}}); !errors.Is(err, ErrScopesNeedAuth) || !strings.HasSuffix(err.Error(), "auth none") {
		t.Errorf("without an auth answer: %v", err)
	}
	// The scopes are checked first: an invalid one is a *SpecError.
	if _, err := AddTool(repo, ToolSpec{Name: "admin", Scopes: []string{"a b"}}); !strings.Contains(err.Error(), "--scope: ") {
		t.Errorf("invalid scope without auth: %v", err)
	}
}

func TestAddPrompt(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddPrompt(repo, PromptSpec{Name: "summarize", Args: []PromptArg{{Name: "topic", Required: true, Description: "What to summarize"}, {Name: "style"}}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/prompts/summarize.go")
	for _, s := range []string{
		`func init() { register(summarizePrompt(), summarize) }`,
		`mcp.WithArgument("topic", mcp.RequiredArgument(), mcp.ArgumentDescription("What to summarize")),`,
		`mcp.WithArgument("style"),`,
		`topic := req.Params.Arguments["topic"]`,
		`return nil, fmt.Errorf("argument %q is required", "topic")`,
		// No TODO reaches clients: the description is the name in
		// words, and the TODO is a comment.
		`mcp.WithPromptDescription("Summarize"),`,
		`// TODO: say what the summarize prompt is for;`,
		`return mcp.NewGetPromptResult("Summarize", []mcp.PromptMessage{`,
	} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("prompt file lacks %q:\n%s", s, src.Data)
		}
	}
	test, _ := res.Files.Get("internal/prompts/summarize_test.go")
	parses(t, test.Path, test.Data)
	if !strings.Contains(string(test.Data), "want the summarize prompt with 2 arguments") {
		t.Errorf("test file:\n%s", test.Data)
	}
	one, err := AddPrompt(repo, PromptSpec{Name: "one", Args: []PromptArg{{Name: "topic"}}})
	if err != nil {
		t.Fatal(err)
	}
	if test, _ := one.Files.Get("internal/prompts/one_test.go"); !strings.Contains(string(test.Data), "want the one prompt with 1 argument\"") {
		t.Errorf("a prompt with one argument: test file:\n%s", test.Data)
	}
	after := apply(repo, res)
	if _, err := AddPrompt(after, PromptSpec{Name: "summarize"}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("adding the prompt twice: %v", err)
	}
	if _, err := AddPrompt(repo, PromptSpec{Name: "a b"}); !IsUsage(err) {
		t.Errorf("invalid prompt name: %v", err)
	}
}

func TestAddResource(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddResource(repo, ResourceSpec{URI: "weather://forecast/{city}{?days}", MIMEType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/resources/forecast.go")
	for _, s := range []string{
		`func init() { registerTemplate(forecastResource(), forecast) }`,
		`mcp.NewResourceTemplate("weather://forecast/{city}{?days}", "forecast",`,
		`mcp.WithTemplateMIMEType("application/json"),`,
		`if v, ok := req.Params.Arguments["city"].([]string); ok {`,
		`mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(data)},`,
		// JSON content is encoded, never formatted by hand.
		`data, err := json.Marshal(map[string]any{`,
		`"variables": map[string]string{"city": city, "days": days},`,
	} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("resource file lacks %q:\n%s", s, src.Data)
		}
	}
	test, _ := res.Files.Get("internal/resources/forecast_test.go")
	if !strings.Contains(string(test.Data), `!json.Valid([]byte(text.Text))`) {
		t.Errorf("the test of a JSON resource does not check that its content is JSON:\n%s", test.Data)
	}
	if !strings.Contains(string(test.Data), `req.Params.URI = "weather://forecast/example?days=example"`) {
		t.Errorf("test does not read an expanded URI:\n%s", test.Data)
	}
	parses(t, test.Path, test.Data)

	after := apply(repo, res)
	// The same template is refused; another resource with the same name
	// gets another file.
	if _, err := AddResource(after, ResourceSpec{URI: "weather://forecast/{city}{?days}"}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("adding the template twice: %v", err)
	}
	res, err = AddResource(after, ResourceSpec{URI: "docs://forecast", MIMEType: "image/png", Description: "A chart"})
	if err != nil {
		t.Fatal(err)
	}
	src, ok := res.Files.Get("internal/resources/forecast_resource.go")
	if !ok {
		t.Fatalf("created %v", res.Created)
	}
	for _, s := range []string{
		`func init() { register(forecast2Resource(), forecast2) }`,
		`mcp.NewResource("docs://forecast", "forecast",`,
		`mcp.WithResourceDescription("A chart"),`,
		`mcp.BlobResourceContents{URI: req.Params.URI, MIMEType: "image/png", Blob: base64.StdEncoding.EncodeToString(`,
	} {
		if !strings.Contains(string(src.Data), s) {
			t.Errorf("resource file lacks %q:\n%s", s, src.Data)
		}
	}
	for _, c := range []struct {
		spec ResourceSpec
		want string
	}{
		{ResourceSpec{URI: "readme"}, "has no scheme"},
		{ResourceSpec{URI: "docs://x", MIMEType: "text"}, "--mime: "},
		{ResourceSpec{URI: "docs://x", Name: "a b"}, `--name "a b"`},
	} {
		if _, err := AddResource(repo, c.spec); !IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddResource(%+v) = %v, want a usage error containing %q", c.spec, err, c.want)
		}
	}
}

func TestContentFormat(t *testing.T) {
	for mt, want := range map[string]string{
		"application/json":                 contentJSON,
		"Application/JSON; charset=utf-8":  contentJSON,
		"application/vnd.api+json":         contentJSON,
		"application/yaml":                 contentJSON,
		"application/x-ndjson":             contentNDJSON,
		"application/xml":                  contentXML,
		"text/xml":                         contentXML,
		"image/svg+xml":                    contentXML,
		"text/html":                        contentHTML,
		"text/plain":                       contentText,
		"text/markdown":                    contentText,
		"application/toml":                 contentText,
		"image/png":                        contentBlob,
		"application/octet-stream":         contentBlob,
		"application/jsonx":                contentBlob,
		"application/vnd.something+jsonld": contentBlob,
	} {
		if got := contentFormat(mt); got != want {
			t.Errorf("contentFormat(%q) = %q, want %q", mt, got, want)
		}
	}
}

// TestAddResourceContentFormats checks the placeholder content of each
// format: markup escapes what the caller sends, and a URI with
// percent-encoding never reaches a format string unescaped (go vet would
// fail the repository).
func TestAddResourceContentFormats(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	for _, c := range []struct {
		spec ResourceSpec
		want []string
	}{
		{ResourceSpec{URI: "docs://a%20b/{x}", MIMEType: "application/xml"}, []string{
			`"html"`,
			`<todo>TODO: the content of docs://a%%20b/{x}</todo>`,
			`<variable name=\"x\">%s</variable>`,
			`html.EscapeString(req.Params.URI), html.EscapeString(x))`,
		}},
		{ResourceSpec{URI: "docs://page", MIMEType: "text/html"}, []string{
			`<!DOCTYPE html>`, `<title>%s</title>`, `html.EscapeString(req.Params.URI))`,
		}},
		{ResourceSpec{URI: "logs://{day}", MIMEType: "application/x-ndjson"}, []string{
			`"variables": map[string]string{"day": day},`, `Text: string(data) + "\n"}`,
		}},
		{ResourceSpec{URI: "docs://p%41/{x}"}, []string{
			`fmt.Sprintf("TODO: the content of docs://p%%41/{x} for x=%v", x)`,
			`MIMEType: "text/plain"`,
		}},
	} {
		res, err := AddResource(repo, c.spec)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := res.Files.Get(res.Created[0])
		parses(t, src.Path, src.Data)
		for _, s := range c.want {
			if !strings.Contains(string(src.Data), s) {
				t.Errorf("%s: resource file lacks %q:\n%s", c.spec.URI, s, src.Data)
			}
		}
		test, _ := res.Files.Get(res.Created[1])
		if strings.Contains(c.spec.URI, "%") && !strings.Contains(string(test.Data), strings.ReplaceAll(c.spec.URI, "%", "%%")+`", list.`) {
			t.Errorf("%s: the test puts the URI into a format string unescaped:\n%s", c.spec.URI, test.Data)
		}
	}
}

// TestAddDefaultDescriptions checks what clients see of items added without
// a description: the name in words, never a TODO, which stays in a comment
// of the code; the tool's note says so.
func TestAddDefaultDescriptions(t *testing.T) {
	repo := renderedRepo(t, Answers{Name: "weather"})
	res, err := AddTool(repo, ToolSpec{Name: "get_forecast"})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := res.Files.Get("internal/tools/get_forecast.go")
	if !strings.Contains(string(src.Data), `mcp.WithDescription("Get forecast"),`) || !strings.Contains(string(src.Data), "// TODO: say what get_forecast does") {
		t.Errorf("tool file:\n%s", src.Data)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], `tool get_forecast has no --description, so clients see "Get forecast"; say what it does in internal/tools/get_forecast.go`) {
		t.Errorf("notes = %q", res.Notes)
	}
	pr, err := AddPrompt(repo, PromptSpec{Name: "summarize"})
	if err != nil {
		t.Fatal(err)
	}
	rr, err := AddResource(repo, ResourceSpec{URI: "docs://release-notes"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []File{mustGet(t, res, 0), mustGet(t, pr, 0), mustGet(t, rr, 0)} {
		for _, line := range strings.Split(string(f.Data), "\n") {
			if strings.Contains(line, "Description(") && strings.Contains(line, "TODO") {
				t.Errorf("%s: a TODO in a description reaches clients: %s", f.Path, line)
			}
		}
	}
	if !strings.Contains(string(mustGet(t, rr, 0).Data), `mcp.WithResourceDescription("Release notes"),`) {
		t.Errorf("resource file:\n%s", mustGet(t, rr, 0).Data)
	}
}

// mustGet returns the i-th created file of an add.
func mustGet(t *testing.T, res *AddResult, i int) File {
	t.Helper()
	f, ok := res.Files.Get(res.Created[i])
	if !ok {
		t.Fatalf("no file %s", res.Created[i])
	}
	return f
}
