// Package generator is the core of mcpforge: it turns answers into a
// repository. It never reads a terminal or prints; the command-line shell in
// cmd/mcpforge and the wizard both drive it through the same functions.
//
// The flow of one `mcpforge new`:
//
//   - [Answers] hold every option. They come from flags, from an answers file
//     ([LoadAnswers]) or from the wizard, are layered with [Merge] (flags win
//     over the file, the file over defaults), completed by
//     [Answers.WithDefaults] and checked by [Answers.Validate], which uses the
//     same exported validator functions ([ValidateName], [ValidateModule], …)
//     that the wizard uses for field-by-field validation.
//   - [Render] turns valid answers into an in-memory [FileSet]: the templates
//     of package templates, the runtime packages copied from package runtime
//     with their imports rewritten, every Go file gofmt'ed, and the record
//     file .mcpforge.toml that holds the answers and a hash of every file.
//     Which files a variant gets is decided by one table in files.go.
//   - [Write] puts a FileSet on disk atomically and never outside its target.
//   - [Tidy] and [GitInit] are the optional post steps.
//
// Errors that the user fixes by changing the input (invalid answers, a broken
// answers file, a non-empty target) satisfy [IsUsage], so that a command line
// can exit with a usage status for them.
package generator
