// Package record defines the record of one session: what ran, how it ended,
// what telemetry arrived and the events derived from it. The session fills
// it; the summary renders it; the store keeps it. Its JSON form is the
// session document of `agentops run --json`, a stable schema described in
// docs/session-json.md: fields are only ever added; a change that is not
// an addition bumps SchemaVersion.
package record

import (
	"strconv"
	"strings"
	"time"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/events"
)

// SchemaVersion is the version of the session JSON document.
const SchemaVersion = 2

// EndState is how a session ended, in AgentOps' terms.
type EndState string

// The end states.
const (
	Success       EndState = "Success"
	Fail          EndState = "Fail"
	Indeterminate EndState = "Indeterminate"
)

// Session is the record of one `agentops run`.
type Session struct {
	// SchemaVersion is the version of this document's shape (SchemaVersion).
	SchemaVersion int       `json:"schema_version"`
	ID            string    `json:"id"`
	TraceID       string    `json:"trace_id"`
	RootSpanID    string    `json:"root_span_id"`
	Command       []string  `json:"command"`
	Dir           string    `json:"cwd,omitempty"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	PID           int       `json:"pid,omitempty"`
	// ExitCode is the code agentops exits with: the child's, or the shell's
	// 126/127/128+N.
	ExitCode int `json:"exit_code"`
	// Signal names the signal that killed the child, if one did.
	Signal string `json:"signal,omitempty"`
	// StartError says why the child could not be started, if it could not.
	StartError string `json:"start_error,omitempty"`
	// EndState and EndReason say how the session ended and why.
	EndState  EndState `json:"end_state"`
	EndReason string   `json:"end_reason,omitempty"`
	// OutputTail is the end of what the child printed (stdout and stderr
	// as they arrived), kept when it failed to show why.
	OutputTail string `json:"output_tail,omitempty"`
	// OutputError says why the child's output could not be written to
	// agentops' own stdout or stderr (no space left on device): from then on
	// the child got a broken pipe and its output was lost.
	OutputError string `json:"output_error,omitempty"`
	// Endpoint is the embedded receiver's URL the child was given.
	Endpoint string `json:"endpoint"`
	// InjectedEnv lists the names of the variables set in the child's environment.
	InjectedEnv []string `json:"injected_env,omitempty"`

	SpansReceived   int64 `json:"spans_received"`
	LogsReceived    int64 `json:"logs_received"`
	MetricsReceived int64 `json:"metrics_received"`
	// ReceiverRefused counts the requests the embedded receiver refused, by
	// answer ("HTTP 401", "gRPC Unauthenticated", ...).
	ReceiverRefused map[string]int `json:"receiver_refused,omitempty"`
	// MissingParents counts spans the child's spans name as parent but that
	// never arrived; DrainTimedOut is set when exports were still arriving
	// when the session stopped waiting. Either makes the telemetry incomplete.
	MissingParents int  `json:"missing_parents,omitempty"`
	DrainTimedOut  bool `json:"drain_timed_out,omitempty"`

	// Prices names the price table the costs were estimated with.
	Prices string `json:"prices,omitempty"`
	// Stored is where the local store keeps the session; Exported lists
	// where its spans were sent (exporter name and destination). Filled by
	// the store and the export pipeline; the summary shows them.
	Stored   string   `json:"stored,omitempty"`
	Exported []string `json:"exported,omitempty"`
	// StoreLost says what the local store could not keep of the session
	// (a full disk): nil when it kept everything.
	StoreLost *StoreLoss `json:"store_lost,omitempty"`

	Totals events.Totals  `json:"totals"`
	Events []events.Event `json:"events"`
	// EventsOmitted counts the events counted in Totals but left out of
	// Events, which holds only a session's first events (see events.Window);
	// the store keeps every span they came from.
	EventsOmitted int `json:"events_omitted,omitempty"`

	// ParentSpanID is the span of an inherited TRACEPARENT (a CI job's or an
	// outer session's) that the session span is parented under.
	ParentSpanID string `json:"parent_span_id,omitempty"`
	// Capture says what the LLM capture proxy did; nil when it was off.
	Capture *Capture `json:"capture,omitempty"`
	// Tags are the session's AgentOps tags.
	Tags []string `json:"tags,omitempty"`
	// Exports says, per exporter, what became of the session's spans.
	Exports []Export `json:"exports,omitempty"`
	// ReplayURL is the session on the AgentOps dashboard, when it was sent there.
	ReplayURL string `json:"replay_url,omitempty"`
	// Budget is what the session's budgets (--max-cost and friends)
	// decided, when any was set.
	Budget *Budget `json:"budget,omitempty"`
	// Baseline is the comparison with run --baseline, when one was given.
	Baseline *Baseline `json:"baseline,omitempty"`
}

// StoreLoss is what the local store failed to write of a session, and why.
type StoreLoss struct {
	Spans   int64 `json:"spans"`
	Logs    int64 `json:"logs"`
	Metrics int64 `json:"metrics"`
	// Error is the first write failure (no space left on device).
	Error string `json:"error"`
}

// Items says what was lost, for people ("1,200 spans and 3 logs"); ""
// when no item was.
func (l StoreLoss) Items() string {
	var parts []string
	for _, c := range []struct {
		n    int64
		what string
	}{{l.Spans, "span"}, {l.Logs, "log record"}, {l.Metrics, "metric point"}} {
		if c.n > 0 {
			s := "s"
			if c.n == 1 {
				s = ""
			}
			parts = append(parts, groupThousands(c.n)+" "+c.what+s)
		}
	}
	return strings.Join(parts, ", ")
}

// groupThousands writes n with commas between groups of three digits.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Baseline is how a session compared with the baseline it was run against.
type Baseline struct {
	// Ref is the baseline as given (a file, an id, last~1); ID its session id.
	Ref string `json:"ref"`
	ID  string `json:"id"`
	// Gates are the --fail-if results; Tripped is set when one tripped.
	Gates   []GateResult `json:"gates,omitempty"`
	Tripped bool         `json:"tripped"`
}

// GateResult is one CI gate (agentops diff --fail-if, run --baseline)
// evaluated on a session's change from a baseline.
type GateResult struct {
	// Gate is the expression as given: "cost>+10%".
	Gate string `json:"gate"`
	// Tripped is set when the condition holds: the job should fail.
	Tripped bool `json:"tripped"`
	// Detail says what was compared: "cost +100% ($0.0450 → $0.0900)".
	Detail string `json:"detail"`
}

// Budget is a session's limits and what became of them.
type Budget struct {
	MaxCostUSD  float64 `json:"max_cost_usd,omitempty"`
	MaxTokens   int64   `json:"max_tokens,omitempty"`
	MaxLLMCalls int     `json:"max_llm_calls,omitempty"`
	MaxDuration string  `json:"max_duration,omitempty"`
	// OnExceed is what an exceeded budget does: "stop" or "warn".
	OnExceed string `json:"on_exceed"`
	// Exceeded is the budget the session went over, first; nil when it
	// stayed within them all. ExceededAt is when that was seen.
	Exceeded   *budget.Exceeded `json:"exceeded,omitempty"`
	ExceededAt time.Time        `json:"exceeded_at,omitzero"`
	// Stopped is set when the agent was stopped because of it.
	Stopped bool `json:"stopped,omitempty"`
	// UnpricedCalls counts the calls a cost budget could not see the cost
	// of (their model is not in the price table).
	UnpricedCalls int `json:"unpriced_calls,omitempty"`
}

// Capture is what the LLM capture proxy did in a session.
type Capture struct {
	// Vars are the base-URL variables pointed at the proxy.
	Vars []string `json:"vars"`
	// Skipped are the variables of the table left alone, and why.
	Skipped []CaptureSkip `json:"skipped,omitempty"`
	// Calls counts the LLM calls the proxy recorded (one span each).
	Calls int64 `json:"calls"`
	// Error says why the proxy could not start; the run went on without it.
	Error string `json:"error,omitempty"`
}

// CaptureSkip is a base-URL variable the session did not point at the proxy.
type CaptureSkip struct {
	Var    string `json:"var"`
	Reason string `json:"reason"`
}

// Export is what one exporter (or the Pushgateway push) did with the session.
type Export struct {
	// Name is the exporter's name (otlp, otlpgrpc, agentops, file, console, pushgateway).
	Name string `json:"name"`
	// Target is where it sent to, passwords redacted.
	Target string `json:"target,omitempty"`
	// Source says why it ran: "--exporter", or the variable that asked for it.
	Source string `json:"source,omitempty"`
	// Sent, Failed, InDoubt, Left and Dropped count spans (series for the
	// Pushgateway); Logs and Metrics count the other signals, when the
	// exporter was given any.
	ExportCounts
	Logs    *ExportCounts `json:"logs,omitempty"`
	Metrics *ExportCounts `json:"metrics,omitempty"`
	// Error is the last failure.
	Error string `json:"error,omitempty"`
	// Unsent is the unsent record (JSON) naming every batch left, failed
	// or in doubt, for `agentops export --resume`.
	Unsent string `json:"unsent_record,omitempty"`
	// Skipped says why the exporter did not run, e.g. not sampled.
	Skipped string `json:"skipped,omitempty"`
}

// ExportCounts is what became of one signal's items at one exporter.
type ExportCounts struct {
	// Sent items the backend took.
	Sent int64 `json:"sent"`
	// Failed items the backend refused for good (or that could not be read
	// back from the store).
	Failed int64 `json:"failed"`
	// InDoubt items were sent, but the export timeout cut the request
	// before the answer came: the backend may have them.
	InDoubt int64 `json:"in_doubt,omitempty"`
	// Left items were not delivered when the export timeout ended the
	// run (the backend was down or slow); the unsent record names them.
	Left int64 `json:"left,omitempty"`
	// Dropped items are lost: kept nowhere (nothing drops them unless the
	// unsent record cannot be written).
	Dropped int64 `json:"dropped,omitempty"`
}

// Undelivered says whether some items were not delivered.
func (c ExportCounts) Undelivered() bool {
	return c.Failed > 0 || c.InDoubt > 0 || c.Left > 0 || c.Dropped > 0
}

// Duration is the session's wall time.
func (s *Session) Duration() time.Duration { return s.End.Sub(s.Start) }

// TelemetryIncomplete reports whether some of the child's telemetry is
// known not to have arrived.
func (s *Session) TelemetryIncomplete() bool { return s.MissingParents > 0 || s.DrainTimedOut }
