// Package record defines the record of one session: what ran, how it ended,
// what telemetry arrived and the events derived from it. The session fills
// it; the summary renders it; the store keeps it.
package record

import (
	"time"

	"github.com/agentops-dev/agentops/events"
)

// Session is the record of one `agentops run`.
type Session struct {
	ID         string    `json:"id"`
	TraceID    string    `json:"trace_id"`
	RootSpanID string    `json:"root_span_id"`
	Command    []string  `json:"command"`
	Dir        string    `json:"cwd,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	PID        int       `json:"pid,omitempty"`
	// ExitCode is the code agentops exits with: the child's, or the shell's
	// 126/127/128+N.
	ExitCode int `json:"exit_code"`
	// Signal names the signal that killed the child, if one did.
	Signal string `json:"signal,omitempty"`
	// StartError says why the child could not be started, if it could not.
	StartError string `json:"start_error,omitempty"`
	// Endpoint is the embedded receiver's URL the child was given.
	Endpoint string `json:"endpoint"`
	// InjectedEnv lists the names of the variables set in the child's environment.
	InjectedEnv []string `json:"injected_env,omitempty"`

	SpansReceived   int64 `json:"spans_received"`
	LogsReceived    int64 `json:"logs_received"`
	MetricsReceived int64 `json:"metrics_received"`

	Totals events.Totals  `json:"totals"`
	Events []events.Event `json:"events"`
}

// Duration is the session's wall time.
func (s *Session) Duration() time.Duration { return s.End.Sub(s.Start) }
