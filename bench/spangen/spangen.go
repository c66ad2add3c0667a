// Package spangen makes realistic OTLP trace batches for benchmarks: the
// spans an instrumented agent sends (HTTP and function spans, with GenAI LLM
// and tool spans and the odd failure among them), deterministic for a seed.
package spangen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Mix is the share of each kind of span in a batch; the rest are plain
// HTTP/function spans without GenAI attributes.
type Mix struct {
	LLM   float64 // gen_ai chat spans with model and token usage
	Tool  float64 // gen_ai execute_tool spans with arguments
	Error float64 // spans with ERROR status and an exception event
}

// DefaultMix is an agent's typical traffic: mostly framework and HTTP spans,
// one in ten an LLM call, one in twenty a tool call, one in a hundred failed.
var DefaultMix = Mix{LLM: 0.10, Tool: 0.05, Error: 0.01}

// AllLLM is the load that matters most: every span an LLM call with GenAI
// attributes, as an agent's telemetry is mostly LLM and tool spans. The
// first span of each trace is the parent of the others, so it counts as a
// framework's wrapper and the rest as the calls; one in a hundred fails.
var AllLLM = Mix{LLM: 1, Error: 0.01}

// Mixes names the mixes for command lines: loadgen -mix NAME.
var Mixes = map[string]Mix{"realistic": DefaultMix, "llm": AllLLM}

// spansPerTrace groups spans into traces the way one agent turn does.
const spansPerTrace = 16

// Traces returns one batch of n spans under a single resource and scope,
// like one export of a BatchSpanProcessor.
func Traces(n int, seed uint64, mix Mix) ptrace.Traces {
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", "bench-agent")
	res.PutStr("service.version", "1.4.2")
	res.PutStr("telemetry.sdk.name", "opentelemetry")
	res.PutStr("telemetry.sdk.language", "python")
	res.PutStr("telemetry.sdk.version", "1.38.0")
	res.PutStr("host.name", "bench-host")
	res.PutInt("process.pid", 4242)
	res.PutStr("agentops.session.id", "2b7f3c9e-8d4a-4f1e-9c61-0a5d2e7b8f10")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
	ss.Scope().SetVersion("2.1b0")
	spans := ss.Spans()
	spans.EnsureCapacity(n)

	base := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC).Add(time.Duration(seed) * time.Second)
	var traceID pcommon.TraceID
	var rootID pcommon.SpanID
	for i := 0; i < n; i++ {
		sp := spans.AppendEmpty()
		if i%spansPerTrace == 0 {
			traceID = randTraceID(rnd)
		}
		id := randSpanID(rnd)
		sp.SetTraceID(traceID)
		sp.SetSpanID(id)
		if i%spansPerTrace == 0 {
			rootID = id
		} else {
			sp.SetParentSpanID(rootID)
		}
		start := base.Add(time.Duration(i) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(1+rnd.IntN(900)) * time.Millisecond)))

		r := rnd.Float64()
		switch {
		case r < mix.LLM:
			llmSpan(sp, rnd)
		case r < mix.LLM+mix.Tool:
			toolSpan(sp, rnd)
		default:
			plainSpan(sp, rnd)
		}
		if rnd.Float64() < mix.Error {
			fail(sp)
		}
	}
	return td
}

var models = []string{"gpt-4o-2024-08-06", "claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o-mini"}

func llmSpan(sp ptrace.Span, rnd *rand.Rand) {
	model := models[rnd.IntN(len(models))]
	sp.SetName("chat " + model)
	sp.SetKind(ptrace.SpanKindClient)
	a := sp.Attributes()
	a.EnsureCapacity(10)
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", model)
	a.PutStr("gen_ai.response.model", model)
	a.PutStr("gen_ai.response.id", fmt.Sprintf("chatcmpl-%016x", rnd.Uint64()))
	a.PutInt("gen_ai.usage.input_tokens", int64(200+rnd.IntN(4000)))
	a.PutInt("gen_ai.usage.output_tokens", int64(20+rnd.IntN(800)))
	a.PutDouble("gen_ai.request.temperature", 0.2)
	a.PutInt("gen_ai.request.max_tokens", 1024)
	a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
	a.PutStr("server.address", "api.openai.com")
	a.PutInt("server.port", 443)
}

var tools = []string{"search_web", "read_file", "run_shell", "write_file"}

func toolSpan(sp ptrace.Span, rnd *rand.Rand) {
	tool := tools[rnd.IntN(len(tools))]
	sp.SetName("execute_tool " + tool)
	sp.SetKind(ptrace.SpanKindInternal)
	a := sp.Attributes()
	a.EnsureCapacity(5)
	a.PutStr("gen_ai.operation.name", "execute_tool")
	a.PutStr("gen_ai.tool.name", tool)
	a.PutStr("gen_ai.tool.call.id", fmt.Sprintf("call_%012x", rnd.Uint64()>>16))
	a.PutStr("gen_ai.tool.type", "function")
	a.PutStr("gen_ai.tool.call.arguments", `{"query":"opentelemetry genai semantic conventions","max_results":10,"path":"/srv/agent/workspace/notes.md"}`)
}

var routes = []string{"/v1/chat/completions", "/api/search", "/repos/{owner}/{repo}/contents", "/healthz"}

func plainSpan(sp ptrace.Span, rnd *rand.Rand) {
	a := sp.Attributes()
	if rnd.IntN(2) == 0 {
		route := routes[rnd.IntN(len(routes))]
		sp.SetName("POST " + route)
		sp.SetKind(ptrace.SpanKindClient)
		a.EnsureCapacity(6)
		a.PutStr("http.request.method", "POST")
		a.PutStr("url.full", "https://api.example.com"+route+"?page=2")
		a.PutInt("http.response.status_code", 200)
		a.PutStr("server.address", "api.example.com")
		a.PutInt("server.port", 443)
		a.PutStr("network.protocol.version", "1.1")
		return
	}
	sp.SetName("agent.step")
	sp.SetKind(ptrace.SpanKindInternal)
	a.EnsureCapacity(4)
	a.PutStr("code.function.name", "agent.loop.step")
	a.PutStr("code.file.path", "/srv/agent/loop.py")
	a.PutInt("code.line.number", int64(100+rnd.IntN(400)))
	a.PutInt("agent.step.index", int64(rnd.IntN(50)))
}

const stack = `Traceback (most recent call last):
  File "/srv/agent/loop.py", line 212, in step
    result = tool.run(**args)
  File "/srv/agent/tools/shell.py", line 48, in run
    raise ToolError(f"command failed with exit status {proc.returncode}")
agent.tools.ToolError: command failed with exit status 2`

func fail(sp ptrace.Span) {
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("command failed with exit status 2")
	sp.Attributes().PutStr("error.type", "agent.tools.ToolError")
	ev := sp.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(sp.EndTimestamp())
	ea := ev.Attributes()
	ea.PutStr("exception.type", "agent.tools.ToolError")
	ea.PutStr("exception.message", "command failed with exit status 2")
	ea.PutStr("exception.stacktrace", stack)
}

func randTraceID(rnd *rand.Rand) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], rnd.Uint64())
	binary.BigEndian.PutUint64(id[8:], rnd.Uint64()|1)
	return id
}

func randSpanID(rnd *rand.Rand) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], rnd.Uint64()|1)
	return id
}

// Renumber gives every span of td new trace and span ids (parents kept
// consistent) and new response and tool call ids, distinct for each round:
// a benchmark that sends the same batch again and again would otherwise
// send the same spans and calls again, which a session counts once.
func Renumber(td ptrace.Traces, round uint64) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				sp.SetTraceID(renumberTrace(sp.TraceID(), round))
				sp.SetSpanID(renumberSpan(sp.SpanID(), round))
				if !sp.ParentSpanID().IsEmpty() {
					sp.SetParentSpanID(renumberSpan(sp.ParentSpanID(), round))
				}
				// The provider's response id and the tool call id name
				// one call: sent again, a session counts it once. The
				// round replaces the one an earlier Renumber added, so
				// a batch renumbered round after round keeps ids of
				// one length.
				for _, k := range []string{"gen_ai.response.id", "gen_ai.tool.call.id"} {
					if v, ok := sp.Attributes().Get(k); ok {
						base, _, _ := strings.Cut(v.Str(), roundSep)
						v.SetStr(fmt.Sprintf("%s%s%016x", base, roundSep, roundKey(round)))
					}
				}
			}
		}
	}
}

// roundSep separates an id from the round Renumber gave it.
const roundSep = "~r"

// roundKey spreads a round number over 64 bits, so consecutive rounds
// differ in every byte.
func roundKey(round uint64) uint64 { return (round + 1) * 0x9e3779b97f4a7c15 }

func renumberTrace(id pcommon.TraceID, round uint64) pcommon.TraceID {
	binary.BigEndian.PutUint64(id[:8], binary.BigEndian.Uint64(id[:8])^roundKey(round))
	return id
}

func renumberSpan(id pcommon.SpanID, round uint64) pcommon.SpanID {
	binary.BigEndian.PutUint64(id[:], binary.BigEndian.Uint64(id[:])^roundKey(round))
	return id
}
