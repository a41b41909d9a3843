package generator

import "errors"

// IsUsage reports whether err is one the user fixes by changing the input
// rather than a failure of mcpforge or the system: invalid answers
// (*ValidationError), a broken answers file (*AnswersFileError), a target
// directory that cannot be used (ErrTargetNotEmpty, ErrTargetNotDir,
// ErrEscapesTarget), an invalid tool, prompt or resource (*SpecError), one
// that exists already (ErrAlreadyExists), or scopes for a tool of a server
// without authorization (ErrScopesNeedAuth). A command line exits with
// status 2 for these.
func IsUsage(err error) bool {
	var ve *ValidationError
	var fe *AnswersFileError
	var se *SpecError
	return errors.As(err, &ve) || errors.As(err, &fe) || errors.As(err, &se) ||
		errors.Is(err, ErrTargetNotEmpty) || errors.Is(err, ErrTargetNotDir) || errors.Is(err, ErrEscapesTarget) ||
		errors.Is(err, ErrAlreadyExists) || errors.Is(err, ErrScopesNeedAuth)
}
