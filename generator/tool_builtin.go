package generator

import "fmt"

// The tools every repository starts with. Their files are the tool
// templates add renders for a new tool (templates/items/tool.go.tmpl), with
// their handlers' statements and their handler tests given by the templates
// of new (templates/repo/internal/tools/hello_world.go.tmpl, ...), which ask
// for their views with {{.Tool "hello_world"}}.

// Tool returns the view of the tool of new named name for the tool
// templates: {{template "tool.go" (.Tool "hello_world")}}.
func (d Data) Tool(name string) (toolView, error) {
	var spec ToolSpec
	switch name {
	case "hello_world":
		spec = ToolSpec{
			Name:        "hello_world",
			Description: "Greets a person by name.",
			title:       "Hello, world",
			ReadOnly:    true,
			Args: []ToolArg{{
				Name: "name", Type: ArgString, Required: true, Description: "The name of the person to greet.",
				schemaOptions: "mcp.MinLength(1), mcp.MaxLength(200)",
			}},
			imports:     []string{"errors", "strings"},
			testImports: []string{"testing"},
		}
	case "whoami":
		spec = ToolSpec{
			Name:        "whoami",
			Description: "Reports who the server believes the caller is.",
			title:       "Who am I",
			ReadOnly:    true,
			Outputs: []ToolArg{
				{Name: "anonymous", Type: ArgBoolean, Required: true, Description: "Whether the server knows nothing of the caller."},
				{Name: "subject", Type: ArgString, Description: "The caller's subject (the sub claim of the token)."},
				{Name: "scopes", Type: ArgArray, Items: ArgString, Description: "The scopes granted to the caller."},
				{Name: "claims", Type: ArgObject, Description: "The claims of the caller's token that middleware.jwt.exposed_claims lets tools see."},
			},
			testImports: []string{"strings", "testing"},
		}
		if d.HasAuth {
			spec.Description = "Reports who the server believes the caller is: subject, scopes and the claims the server exposes."
			spec.auth = true
			spec.testImports = []string{"context", "encoding/json", "strings", "testing", "internal/auth"}
		} else {
			// Every caller is anonymous: the result never has more.
			spec.Outputs = spec.Outputs[:1]
		}
	default:
		return toolView{}, fmt.Errorf("no tool %q among the tools of mcpforge new", name)
	}
	return newToolView(spec, camel(spec.Name, "tool"), d.Module), nil
}
