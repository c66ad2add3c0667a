package capture

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr when first used, not at start-up: every
// `agentops run` links this package, most never capture a call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
