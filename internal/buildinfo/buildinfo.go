// Package buildinfo reports the version agentops was built as.
package buildinfo

import "runtime/debug"

// Version is set with -ldflags "-X github.com/agentops-dev/agentops/internal/buildinfo.Version=v1.2.3";
// otherwise the module version recorded by `go install` is used.
var Version = ""

// String returns the version, or "dev" for a build from a work tree.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
