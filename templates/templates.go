// Package templates holds the skeleton of the repository that mcpforge
// generates: one file under repo/ per output file, at the path it renders to.
//
// Files ending in .tmpl are text/template sources (the suffix is dropped on
// output); every other file is copied verbatim, so Helm chart templates and
// other files that contain "{{" need no escaping. A path segment __name__
// stands for the server's name (repo/cmd/__name__/main.go.tmpl renders to
// cmd/weather/main.go). Which files a variant gets is decided in
// generator/files.go, not here.
package templates

import (
	"embed"
	"io/fs"
)

// FS is the embedded skeleton; its files live under the directory "repo".
// The "all:" prefix keeps dot files such as .gitignore.tmpl and .github/.
// The directory "items" holds the files of one tool, prompt or resource
// (tool.go.tmpl, tool_test.go.tmpl, ...): `mcpforge add` renders them, and
// the templates under repo/ include them by name ({{template "tool.go"
// ...}}), so that what add writes and what new writes share one shape.
//
//go:embed all:repo items
var FS embed.FS

// Items returns the templates of single tools, prompts and resources, each
// named by its file name without ".tmpl".
func Items() fs.FS {
	sub, err := fs.Sub(FS, "items")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, and "items" is valid.
		panic(err)
	}
	return sub
}

// Repo returns the skeleton rooted at repo/, so that a template's path in it
// is the path its output takes in the generated repository.
func Repo() fs.FS {
	sub, err := fs.Sub(FS, "repo")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, and "repo" is valid.
		panic(err)
	}
	return sub
}
