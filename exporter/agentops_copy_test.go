package exporter

import (
	"bytes"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/internal/agentopsstandin"
)

// perToken prices every call at a micro-dollar a token, and knows no
// price for the model "unpriced".
type perToken struct{}

func (perToken) Price(l events.LLM) (float64, bool) {
	return float64(l.InputTokens+l.OutputTokens) * 1e-6, l.Model() != "unpriced"
}

var (
	sessionTrace = pcommon.TraceID{0xaa, 1}
	sdkTrace     = pcommon.TraceID{0xbb, 2}
	rootID       = pcommon.SpanID{0xee, 1}
)

// mixedSession is one session in every convention agentops reads: current
// GenAI names with a framework wrapper over the provider span, OpenInference
// wrapper over provider, Traceloop (deprecated GenAI usage names), a tool,
// an agent, a workflow, and the trace an AgentOps SDK in the child starts
// on its own; plus the session span, which is ours.
func mixedSession(endState string) ptrace.Traces {
	td := ptrace.NewTraces()
	child := td.ResourceSpans().AppendEmpty()
	child.Resource().Attributes().PutStr("service.name", "agent")
	spans := child.ScopeSpans().AppendEmpty().Spans()
	add := func(trace pcommon.TraceID, id, parent pcommon.SpanID, name string, attrs map[string]any) {
		sp := spans.AppendEmpty()
		sp.SetTraceID(trace)
		sp.SetSpanID(id)
		sp.SetParentSpanID(parent)
		sp.SetName(name)
		sp.SetStartTimestamp(pcommon.Timestamp(100 + int(id[0])))
		_ = sp.Attributes().FromRaw(attrs)
	}
	genai := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o",
		"gen_ai.usage.input_tokens": 1234, "gen_ai.usage.output_tokens": 567, "gen_ai.usage.cache_read.input_tokens": 200, "gen_ai.usage.reasoning.output_tokens": 50}
	agent := pcommon.SpanID{0x10}
	add(sessionTrace, agent, rootID, "invoke_agent researcher", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "researcher"})
	add(sessionTrace, pcommon.SpanID{0x11}, agent, "ChatOpenAI", genai)
	add(sessionTrace, pcommon.SpanID{0x12}, pcommon.SpanID{0x11}, "chat gpt-4o", genai)
	oi := map[string]any{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.token_count.prompt": 800, "llm.token_count.completion": 90, "llm.token_count.total": 890}
	add(sessionTrace, pcommon.SpanID{0x13}, agent, "ChatOpenAI", oi)
	add(sessionTrace, pcommon.SpanID{0x14}, pcommon.SpanID{0x13}, "ChatCompletion", oi)
	add(sessionTrace, pcommon.SpanID{0x15}, agent, "openai.chat", map[string]any{"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.prompt_tokens": 300, "gen_ai.usage.completion_tokens": 40, "llm.usage.total_tokens": 340})
	add(sessionTrace, pcommon.SpanID{0x16}, agent, "openai.chat", map[string]any{"llm.request.type": "chat", "gen_ai.request.model": "unpriced",
		"gen_ai.usage.prompt_tokens": 7, "gen_ai.usage.completion_tokens": 3})
	add(sessionTrace, pcommon.SpanID{0x17}, agent, "execute_tool search", map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"})
	add(sessionTrace, pcommon.SpanID{0x18}, agent, "plan.workflow", map[string]any{"traceloop.span.kind": "workflow", "traceloop.entity.name": "plan"})
	add(sessionTrace, pcommon.SpanID{0x19}, agent, "summarise", map[string]any{"traceloop.span.kind": "task"})
	// The AgentOps SDK's own trace: its session span and an LLM call
	// under it, in the names its instrumentation uses.
	add(sdkTrace, pcommon.SpanID{0x20}, pcommon.SpanID{}, "default.session", map[string]any{"agentops.span.kind": "session", "operation.name": "default"})
	add(sdkTrace, pcommon.SpanID{0x21}, pcommon.SpanID{0x20}, "openai.chat.completion", map[string]any{"agentops.span.kind": "llm", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.prompt_tokens": 50, "gen_ai.usage.completion_tokens": 5, "gen_ai.usage.total_tokens": 55})

	ours := td.ResourceSpans().AppendEmpty()
	ours.Resource().Attributes().PutStr("service.name", "agentops")
	root := ours.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	root.SetTraceID(sessionTrace)
	root.SetSpanID(rootID)
	root.SetName("agentops.session /usr/bin/python3")
	root.SetStartTimestamp(1)
	_ = root.Attributes().FromRaw(map[string]any{"agentops.span.kind": "session", "process.command": "/usr/bin/python3",
		"agentops.session.end_state": endState, "agentops.tags": []any{"nightly"}})
	if endState == "Fail" {
		root.Status().SetCode(ptrace.StatusCodeError)
		root.Status().SetMessage("child exited with code 3")
	}
	return td
}

// countSession counts td as the session does, noting what it made of
// every span.
func countSession(td ptrace.Traces) (events.Totals, *events.SpanUses) {
	uses := &events.SpanUses{}
	w := events.Window{Pricer: perToken{}, Decided: uses.Note}
	events.EachSpan(td, func(sp ptrace.Span) {
		w.AddSpan(sp.SpanID(), sp.ParentSpanID())
		w.AddEvents(events.FromSpan(sp)...)
	})
	return w.Finish(rootID.String()).Totals, uses
}

func TestAgentOpsCopyShowsTheSummary(t *testing.T) {
	for _, endState := range []string{"Success", "Fail"} {
		td := mixedSession(endState)
		before, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		totals, uses := countSession(td)
		if totals.LLMCalls != 5 || totals.WrapperLLMSpans != 2 || totals.UnpricedCalls != 1 {
			t.Fatalf("scenario: %d calls, %d wrappers, %d unpriced", totals.LLMCalls, totals.WrapperLLMSpans, totals.UnpricedCalls)
		}
		cp := AgentOpsCopy(td, AgentOpsSession{TraceID: sessionTrace, RootSpanID: rootID, Uses: uses})

		after, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if !bytes.Equal(before, after) {
			t.Fatal("AgentOpsCopy changed its input: the other exporters must get what was received")
		}
		sums := agentopsstandin.Sum(cp, nil)
		if len(sums) != 1 {
			t.Fatalf("%d traces at AgentOps, want the session's one: %+v", len(sums), sums)
		}
		s := sums[0]
		t.Logf("%s: AgentOps %d prompt / %d completion / %d cache read / %d reasoning tokens, $%.6f; summary %d in / %d out / %d / %d, $%.6f",
			endState, s.PromptTokens, s.CompletionTokens, s.CacheReadTokens, s.ReasoningTokens, s.Cost,
			totals.InputTokens, totals.OutputTokens, totals.CacheReadTokens, totals.ReasoningTokens, totals.CostUSD)
		if s.PromptTokens != totals.InputTokens || s.CompletionTokens != totals.OutputTokens ||
			s.CacheReadTokens != totals.CacheReadTokens || s.ReasoningTokens != totals.ReasoningTokens ||
			s.TotalTokens != totals.InputTokens+totals.OutputTokens || math.Abs(s.Cost-totals.CostUSD) > 1e-12 {
			t.Errorf("AgentOps sums %d prompt, %d completion, %d cache read, %d reasoning, %d total, $%.9f;\nsummary %d in, %d out, %d cache read, %d reasoning, $%.9f",
				s.PromptTokens, s.CompletionTokens, s.CacheReadTokens, s.ReasoningTokens, s.TotalTokens, s.Cost,
				totals.InputTokens, totals.OutputTokens, totals.CacheReadTokens, totals.ReasoningTokens, totals.CostUSD)
		}
		wantStatus := map[string]ptrace.StatusCode{"Success": ptrace.StatusCodeOk, "Fail": ptrace.StatusCodeError}[endState]
		if s.Title != "python3.session" || s.TitleKind != "session" || s.TitleStatus != wantStatus || s.Sessions != 1 || len(s.Tags) != 1 {
			t.Errorf("%s: root %q kind %q status %v, %d session spans, tags %v", endState, s.Title, s.TitleKind, s.TitleStatus, s.Sessions, s.Tags)
		}
		if s.Kinds["agent"] != 1 || s.Kinds["tool"] != 1 || s.Kinds["workflow"] != 2 || s.Kinds["task"] != 1 {
			t.Errorf("span kinds by name %v: want 1 agent, 1 tool, 2 workflows (ours and the SDK's session), 1 task", s.Kinds)
		}
		// Sent as received, the backend would show other numbers: the
		// comparison above is not one that cannot fail.
		raw := agentopsstandin.Sum(td, nil)
		if len(raw) != 2 || raw[0].PromptTokens+raw[1].PromptTokens == totals.InputTokens {
			t.Errorf("the scenario does not show the problem: %+v", raw)
		}
	}
}

func TestAgentOpsCopyNames(t *testing.T) {
	td := mixedSession("Success")
	_, uses := countSession(td)
	cp := AgentOpsCopy(td, AgentOpsSession{TraceID: sessionTrace, RootSpanID: rootID, Uses: uses})
	got := map[pcommon.SpanID]ptrace.Span{}
	events.EachSpan(cp, func(sp ptrace.Span) { got[sp.SpanID()] = sp })
	for id, want := range map[pcommon.SpanID]string{
		{0x10}: "researcher.agent", {0x17}: "search.tool", {0x18}: "plan.workflow", {0x19}: "summarise.task",
		{0x20}: "default.workflow", {0x12}: "chat gpt-4o", rootID: "python3.session",
	} {
		if got[id].Name() != want {
			t.Errorf("span %v named %q, want %q", id, got[id].Name(), want)
		}
	}
	if sp := got[pcommon.SpanID{0x20}]; sp.TraceID() != sessionTrace || sp.ParentSpanID() != rootID {
		t.Errorf("the SDK's session span is in trace %v under %v: want the session's trace, under the session span", sp.TraceID(), sp.ParentSpanID())
	}
	if sp := got[pcommon.SpanID{0x21}]; sp.TraceID() != sessionTrace || sp.ParentSpanID() != (pcommon.SpanID{0x20}) {
		t.Errorf("the SDK's LLM span moved under %v", sp.ParentSpanID())
	}
	if v, ok := got[rootID].Attributes().Get("operation.name"); !ok || v.Str() != "python3" {
		t.Errorf("operation.name = %v", v)
	}
	// A wrapper keeps its own attributes, but none the backend sums.
	w := got[pcommon.SpanID{0x11}].Attributes()
	if _, ok := w.Get("gen_ai.usage.prompt_tokens"); ok {
		t.Error("the wrapper carries usage the backend would add again")
	}
	if v, _ := w.Get("gen_ai.usage.input_tokens"); v.Int() != 1234 {
		t.Error("the wrapper lost its own attributes")
	}
}

func TestAgentOpsCopyServiceName(t *testing.T) {
	td := mixedSession("Success")
	td.ResourceSpans().At(1).Resource().Attributes().PutStr("service.name", "nightly-evals")
	cp := AgentOpsCopy(td, AgentOpsSession{TraceID: sessionTrace, RootSpanID: rootID})
	if s := agentopsstandin.Sum(cp, nil); s[0].Title != "nightly-evals.session" {
		t.Errorf("root named %q, want the service name's session", s[0].Title)
	}
}

// A session whose calls only log events report (Claude Code exporting
// logs, no traces): AgentOps finds them on the session span.
func TestAgentOpsCopyLogOnlyCalls(t *testing.T) {
	td := ptrace.NewTraces()
	ours := td.ResourceSpans().AppendEmpty()
	root := ours.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	root.SetTraceID(sessionTrace)
	root.SetSpanID(rootID)
	root.SetName("agentops.session claude")
	_ = root.Attributes().FromRaw(map[string]any{"process.command": "claude", "agentops.session.end_state": "Success"})

	uses := &events.SpanUses{}
	w := events.Window{Pricer: perToken{}, Decided: uses.Note}
	for i, attrs := range []map[string]any{
		{"model": "claude-sonnet-4-5", "input_tokens": "20", "output_tokens": "9", "cache_read_tokens": "100", "cost_usd": "0.0012", "request_id": "req_1"},
		{"model": "claude-haiku-4-5", "input_tokens": "300", "output_tokens": "40", "request_id": "req_2"},
	} {
		lr := plog.NewLogRecord()
		lr.SetTimestamp(pcommon.Timestamp(1000 * (i + 1)))
		lr.Attributes().PutStr("event.name", "claude_code.api_request")
		for k, v := range attrs {
			lr.Attributes().PutStr(k, v.(string))
		}
		w.AddEvents(events.FromLogRecord(lr)...)
	}
	totals := w.Finish(rootID.String()).Totals
	if totals.LLMCalls != 2 || totals.UnpricedCalls != 0 {
		t.Fatalf("scenario: %d calls, %d unpriced", totals.LLMCalls, totals.UnpricedCalls)
	}
	s := agentopsstandin.Sum(AgentOpsCopy(td, AgentOpsSession{TraceID: sessionTrace, RootSpanID: rootID, Uses: uses}), nil)[0]
	if s.PromptTokens != totals.InputTokens || s.CompletionTokens != totals.OutputTokens || s.CacheReadTokens != totals.CacheReadTokens || math.Abs(s.Cost-totals.CostUSD) > 1e-12 {
		t.Errorf("AgentOps %d/%d/%d tokens $%g, summary %d/%d/%d $%g", s.PromptTokens, s.CompletionTokens, s.CacheReadTokens, s.Cost,
			totals.InputTokens, totals.OutputTokens, totals.CacheReadTokens, totals.CostUSD)
	}
}
