// Command agentops wraps an AI agent process, captures its OpenTelemetry
// telemetry and summarises the session.
package main

import "github.com/agentops-dev/agentops/cmd"

func main() { cmd.Execute() }
