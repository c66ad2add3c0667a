// Package cmd holds the agentops command tree.
package cmd

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	diffcmd "github.com/agentops-dev/agentops/cmd/diff"
	"github.com/agentops-dev/agentops/cmd/exitcode"
	exportcmd "github.com/agentops-dev/agentops/cmd/export"
	pricescmd "github.com/agentops-dev/agentops/cmd/prices"
	reportcmd "github.com/agentops-dev/agentops/cmd/report"
	runcmd "github.com/agentops-dev/agentops/cmd/run"
	sessionscmd "github.com/agentops-dev/agentops/cmd/sessions"
	showcmd "github.com/agentops-dev/agentops/cmd/show"
	versioncmd "github.com/agentops-dev/agentops/cmd/version"
	"github.com/agentops-dev/agentops/iostreams"
)

// NewCmdRoot builds the agentops root command.
func NewCmdRoot(io *iostreams.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "agentops <command>",
		Short: "Observe any AI agent: wrap it, capture its OpenTelemetry spans, summarise the session",
		Long: `agentops wraps an agent process in any language. It starts an embedded OTLP
receiver, points the child's own OpenTelemetry SDK at it, runs the child
untouched, and prints a session summary: LLM calls, tokens, tools, errors.`,
		Example: `  agentops run -- python agent.py
  agentops run -- node agent.js --task "summarise README"`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.AddCommand(runcmd.NewCmdRun(io, nil))
	root.AddCommand(versioncmd.NewCmdVersion(io))
	root.AddCommand(sessionscmd.NewCmdSessions(io, nil))
	root.AddCommand(showcmd.NewCmdShow(io, nil))
	root.AddCommand(reportcmd.NewCmdReport(io, nil))
	root.AddCommand(exportcmd.NewCmdExport(io, nil))
	root.AddCommand(pricescmd.NewCmdPrices(io, nil))
	root.AddCommand(diffcmd.NewCmdDiff(io, nil))
	return root
}

// Execute runs the command line and exits the process with the right code:
// the child's code for `run`, exitcode.Internal for our own failures, 2 for
// usage errors.
func Execute() {
	io := iostreams.System()
	c, err := NewCmdRoot(io).ExecuteC()
	if err == nil {
		os.Exit(0)
	}
	var exit *exitcode.Error
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(io.ErrOut, "agentops:", exit.Err)
		}
		os.Exit(exit.Code)
	}
	fmt.Fprintln(io.ErrOut, "agentops:", err)
	// Point at the help of the command that was misused, not the root's.
	path := "agentops"
	if c != nil {
		path = c.CommandPath()
	}
	fmt.Fprintf(io.ErrOut, "Run '%s --help' for usage.\n", path)
	os.Exit(exitcode.Usage)
}
