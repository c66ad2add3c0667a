package exporter

import (
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
)

// AgentOpsSession is what AgentOpsCopy needs to know of a session besides
// its spans.
type AgentOpsSession struct {
	// TraceID and RootSpanID are the session span's.
	TraceID    pcommon.TraceID
	RootSpanID pcommon.SpanID
	// Uses is what the session's counting made of each span; it must be
	// final for the spans copied (see events.Window.Decided).
	Uses *events.SpanUses
}

// The attributes the AgentOps backend adds up over every span of a trace,
// with no dedupe (app/api/agentops/api/models/traces.py,
// models/span_metrics.py), and the only usage names it reads.
const (
	aoPromptTokens     = "gen_ai.usage.prompt_tokens"
	aoCompletionTokens = "gen_ai.usage.completion_tokens"
	aoCacheReadTokens  = "gen_ai.usage.cache_read_input_tokens"
	aoReasoningTokens  = "gen_ai.usage.reasoning_tokens"
	aoTotalTokens      = "gen_ai.usage.total_tokens"
	aoTotalCost        = "gen_ai.usage.total_cost"
	aoPromptCost       = "gen_ai.usage.prompt_cost"
	aoCompletionCost   = "gen_ai.usage.completion_cost"
)

var aoSummed = []string{aoPromptTokens, aoCompletionTokens, aoCacheReadTokens, aoReasoningTokens, aoTotalTokens, aoTotalCost, aoPromptCost, aoCompletionCost}

// Attributes of the AgentOps SDK's own spans that the dashboard reads
// (agentops/semconv; agentops/sdk/attributes.py).
const (
	aoSpanKind      = "agentops.span.kind"
	aoOperationName = "operation.name"
	aoEndState      = "agentops.session.end_state"
)

// aoActionKinds are the action types that have an AgentOps span kind of
// their own, which the dashboard draws by the span name's suffix
// (app/dashboard/components/charts/bar-chart/span-processing.ts).
var aoActionKinds = map[string]bool{"workflow": true, "task": true, "operation": true}

// AgentOpsCopy returns what the AgentOps backend must receive of td to show
// the session the summary shows; td itself is not changed. The backend
// sums usage over every span and takes a span's type from its name, so in
// the copy:
//
//   - the session span is named "<service or command>.session", with
//     agentops.span.kind=session, operation.name, and status OK or ERROR
//     from its end state;
//   - the usage attributes the backend reads are removed from every span,
//     then written, in the names it reads, on the spans whose LLM call the
//     session counted: its normalised tokens, and its cost as
//     gen_ai.usage.total_cost when the session has one (an unpriced call
//     carries none, and the backend prices its tokens itself); wrapper and
//     duplicate LLM spans carry no usage, so the backend's sums equal the
//     summary's totals;
//   - tool, agent, workflow, task and operation spans carry the
//     agentops.span.kind and the name suffix the dashboard draws them by;
//   - LLM calls the session counted from log events (no span reports
//     them: Claude Code, Codex, Gemini CLI may send only logs) are added
//     up on the session span;
//   - spans of another trace (an AgentOps SDK in the child starts its own)
//     join the session's trace, their roots under the session span, so one
//     run is one trace there; a session span of theirs becomes a workflow.
func AgentOpsCopy(td ptrace.Traces, s AgentOpsSession) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				agentOpsSpan(spans.At(k), rs.Resource().Attributes(), s)
			}
		}
	}
	return out
}

func agentOpsSpan(sp ptrace.Span, res pcommon.Map, s AgentOpsSession) {
	a := sp.Attributes()
	for _, k := range aoSummed {
		a.Remove(k)
	}
	if sp.SpanID() == s.RootSpanID && !s.RootSpanID.IsEmpty() {
		agentOpsRoot(sp, res)
		// The calls no span reports (counted from log events) are the
		// session's: on its span, the backend adds them up too.
		if p := s.Uses.Unplaced(); p.Calls > 0 {
			a.PutInt(aoPromptTokens, p.InputTokens)
			a.PutInt(aoCompletionTokens, p.OutputTokens)
			a.PutInt(aoCacheReadTokens, p.CacheReadTokens)
			a.PutInt(aoReasoningTokens, p.ReasoningTokens)
			a.PutInt(aoTotalTokens, p.InputTokens+p.OutputTokens)
			if p.Priced > 0 {
				a.PutDouble(aoTotalCost, p.CostUSD)
			}
		}
		return
	}
	if !s.TraceID.IsEmpty() && sp.TraceID() != s.TraceID {
		sp.SetTraceID(s.TraceID)
		if sp.ParentSpanID().IsEmpty() {
			sp.SetParentSpanID(s.RootSpanID)
		}
	}
	if v, ok := a.Get(aoSpanKind); ok && v.AsString() == "session" {
		a.PutStr(aoSpanKind, "workflow")
		sp.SetName(withKind(strings.TrimSuffix(sp.Name(), ".session"), "workflow"))
	}
	use, ok := s.Uses.Use(sp.SpanID())
	if !ok {
		return
	}
	switch use.Kind {
	case events.KindLLM:
		if l := use.LLM; l != nil {
			a.PutInt(aoPromptTokens, l.InputTokens)
			a.PutInt(aoCompletionTokens, l.OutputTokens)
			a.PutInt(aoCacheReadTokens, l.CacheReadTokens)
			a.PutInt(aoReasoningTokens, l.ReasoningTokens)
			a.PutInt(aoTotalTokens, l.InputTokens+l.OutputTokens)
			if l.CostUSD != nil {
				a.PutDouble(aoTotalCost, *l.CostUSD)
			}
		}
	case events.KindTool:
		a.PutStr(aoSpanKind, "tool")
		sp.SetName(withKind(first(use.Name, sp.Name()), "tool"))
	case events.KindAgent:
		a.PutStr(aoSpanKind, "agent")
		sp.SetName(withKind(first(use.Name, sp.Name()), "agent"))
	case events.KindAction:
		if kind := strings.ToLower(use.ActionType); aoActionKinds[kind] {
			a.PutStr(aoSpanKind, kind)
			sp.SetName(withKind(sp.Name(), kind))
		}
	}
}

// agentOpsRoot makes the session span what the AgentOps SDK makes of its
// trace root (agentops/sdk/core.py: "{trace_name}.session",
// operation.name), and gives it the status the dashboard counts successes
// and failures by (app/api/agentops/api/models/metrics.py).
func agentOpsRoot(sp ptrace.Span, res pcommon.Map) {
	a := sp.Attributes()
	name := sessionName(res, a)
	sp.SetName(name + ".session")
	a.PutStr(aoSpanKind, "session")
	a.PutStr(aoOperationName, name)
	if v, ok := a.Get(aoEndState); ok {
		switch v.AsString() {
		case "Success":
			sp.Status().SetCode(ptrace.StatusCodeOk)
			sp.Status().SetMessage("")
		case "Fail":
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
}

// sessionName is the service name the user chose, else the command's
// base name.
func sessionName(res, attrs pcommon.Map) string {
	if v, ok := res.Get("service.name"); ok {
		if n := v.AsString(); n != "" && n != "agentops" && !strings.HasPrefix(n, "unknown_service") {
			return n
		}
	}
	if v, ok := attrs.Get("process.command"); ok && v.AsString() != "" {
		return filepath.Base(v.AsString())
	}
	return "agentops"
}

// withKind appends the ".kind" suffix the dashboard types a span by,
// unless the name has it already.
func withKind(name, kind string) string {
	if strings.HasSuffix(name, "."+kind) {
		return name
	}
	return name + "." + kind
}

func first(vs ...string) string { return firstNonEmpty(vs...) }
