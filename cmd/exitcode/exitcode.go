// Package exitcode carries the process exit code from a command to main.
package exitcode

// Exit codes of agentops itself. They avoid the codes a shell gives a child
// (126 not executable, 127 not found, 128+N killed by signal N), so a wrapper
// script can tell our failure from the child's.
const (
	// Usage is returned for a command line that could not be parsed.
	Usage = 2
	// Internal is returned when agentops fails before the child starts
	// (for example the receiver cannot listen). Same choice as env(1) and
	// docker run.
	Internal = 125
)

// Error asks main to exit with Code after printing Err (when non-nil).
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "exit status"
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
