// Package version implements `agentops version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/internal/buildinfo"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/pricing"
)

// NewCmdVersion builds `agentops version`.
func NewCmdVersion(io *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the agentops version",
		Long:    "Version prints the agentops version, the Go version and platform it was built with, and which LLM price table is built in (its date, and how to override it).",
		Example: "  agentops version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(io.Out, "agentops %s (%s, %s/%s)\nprices: %s of %s (commit %.7s, MIT), %d models; agentops prices tells more\n",
				buildinfo.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
				pricing.TableSource, pricing.TableDate, pricing.TableCommit, pricing.TableModels)
			return err
		},
	}
}
