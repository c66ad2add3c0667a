package pricing

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr when first used, not at start-up: every
// `agentops run` links this package, few runs match a Bedrock model id.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
