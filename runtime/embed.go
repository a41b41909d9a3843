// Package runtime holds the source of the Go packages every server generated
// by mcpforge contains, as an embedded file system the generator copies from.
//
// The packages themselves (runtime/config, runtime/httpserver, ...) are
// ordinary Go: compiled, vetted and tested here, once. The generator copies
// the ones a variant needs, tests included, to internal/<pkg>/ of the new
// repository, rewriting their imports of github.com/mcpforge/mcpforge/runtime/X
// to <module>/internal/X. That is why they may import only the standard
// library, each other, and the modules a generated server depends on.
//
// Importers alias this package, since its name is that of the standard
// library's runtime package:
//
//	import mcpruntime "github.com/mcpforge/mcpforge/runtime"
package runtime

import "embed"

// FS holds the runtime packages, one top-level directory per package
// ("config", "httpserver"), each with its .go files, tests included. A new
// package goes into the pattern below and into generator/files.go's
// runtimePackages, which says which variants get it.
//
//go:embed config httpserver envelope auth oauth toolargs promptargs heapfloor typedtool telemetry typo
var FS embed.FS
