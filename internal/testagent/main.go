// Command testagent is a stand-in AI agent for agentops' end-to-end tests
// and benchmarks. It uses the real OpenTelemetry Go SDK, configured only
// from the environment that agentops injects (OTEL_EXPORTER_OTLP_*,
// TRACEPARENT), and emits GenAI-convention spans: an agent span with LLM
// and tool calls under it. -oi-llm and -tl-tools add spans shaped as
// OpenInference and OpenLLMetry (Traceloop) emit them, so one child can
// mix conventions.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/propagators/envcar"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	llmCalls := flag.Int("llm", 3, "LLM calls to make")
	inTokens := flag.Int("input-tokens", 100, "input tokens per LLM call")
	outTokens := flag.Int("output-tokens", 20, "output tokens per LLM call")
	model := flag.String("model", "gpt-4o-mini", "model name")
	tools := flag.Int("tools", 2, "tool calls to make")
	fail := flag.Bool("fail-tool", false, "make the last tool call fail")
	exit := flag.Int("exit", 0, "exit code")
	spans := flag.Int("spans", 0, "extra plain spans, for load")
	noShutdown := flag.Bool("no-shutdown", false, "exit without flushing the SDK")
	latency := flag.Duration("latency", 0, "time each LLM and tool call takes, for realistic waterfalls")
	withContent := flag.Bool("content", false, "capture prompts, completions and tool results on the spans")
	oiLLM := flag.Int("oi-llm", 0, "OpenInference LLM calls to make, each a framework LLM span wrapping the provider's LLM span")
	tlTools := flag.Int("tl-tools", 0, "OpenLLMetry (Traceloop) tool calls to make")
	var calls []call
	flag.Func("call", "one more GenAI LLM call, as space-separated key=value: provider, model, in, out, cache_read, cache_write, reasoning (token counts; in includes the cache), at (RFC 3339 start); repeatable", func(v string) error {
		c, err := parseCall(v)
		calls = append(calls, c)
		return err
	})
	httpCalls := flag.Int("openai-calls", 0, "OpenAI chat completions to request over HTTP from $OPENAI_BASE_URL, with no telemetry of their own, before anything else (an agent with no OpenTelemetry)")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	flag.Parse()
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	if *httpCalls > 0 {
		os.Exit(chatCompletions(*httpCalls, *model, *latency))
	}

	ctx := context.Background()
	exp, err := newExporter(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testagent:", err)
		os.Exit(70)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	// Parent our spans under the caller's span, as an SDK does with TRACEPARENT.
	ctx = propagation.TraceContext{}.Extract(ctx, &envcar.Carrier{})
	tr := tp.Tracer("testagent")

	ctx, agent := tr.Start(ctx, "invoke_agent testagent", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent"),
		attribute.String("gen_ai.agent.name", "testagent"),
	))
	for i := 0; i < *llmCalls; i++ {
		_, s := tr.Start(ctx, "chat "+*model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", *model),
			attribute.String("gen_ai.response.model", *model),
			attribute.Int("gen_ai.usage.input_tokens", *inTokens),
			attribute.Int("gen_ai.usage.output_tokens", *outTokens),
		))
		if *withContent {
			s.SetAttributes(
				attribute.String("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"step `+strconv.Itoa(i)+`: what next? <b>not bold</b>"}]}]`),
				attribute.String("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"call search for step `+strconv.Itoa(i)+`"}]}]`),
			)
		}
		time.Sleep(*latency)
		s.End()
	}
	for _, c := range calls {
		c.emit(ctx, tr)
	}
	for i := 0; i < *tools; i++ {
		_, s := tr.Start(ctx, "execute_tool search", trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"),
			attribute.String("gen_ai.tool.name", "search"),
			attribute.String("gen_ai.tool.call.arguments", `{"q":"call `+strconv.Itoa(i)+`"}`),
		))
		if *withContent {
			s.SetAttributes(attribute.String("gen_ai.tool.call.result", `{"hits":`+strconv.Itoa(i+1)+`}`))
		}
		time.Sleep(*latency)
		if *fail && i == *tools-1 {
			s.RecordError(errors.New("search backend timed out"))
			s.SetStatus(codes.Error, "search backend timed out")
		}
		s.End()
	}
	for i := 0; i < *oiLLM; i++ {
		openInferenceLLM(ctx, tr, *model, *inTokens, *outTokens)
	}
	for i := 0; i < *tlTools; i++ {
		_, s := tr.Start(ctx, "get_weather.tool", trace.WithAttributes(
			attribute.String("traceloop.span.kind", "tool"),
			attribute.String("traceloop.entity.name", "get_weather"),
			attribute.String("traceloop.entity.input", `{"city":"Paris"}`),
			attribute.String("traceloop.entity.output", `"18C"`),
		))
		s.End()
	}
	for i := 0; i < *spans; i++ {
		_, s := tr.Start(ctx, "step")
		s.End()
	}
	agent.End()
	fmt.Println("testagent done")
	if !*noShutdown {
		if err := tp.Shutdown(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "testagent: shutdown:", err)
		}
	}
	os.Exit(*exit)
}

// call is an LLM call given with -call.
type call struct {
	provider, model string
	ints            map[string]int
	at              time.Time
}

// callAttrs maps -call's count keys to the GenAI attributes.
var callAttrs = map[string]string{
	"in": "gen_ai.usage.input_tokens", "out": "gen_ai.usage.output_tokens",
	"cache_read": "gen_ai.usage.cache_read.input_tokens", "cache_write": "gen_ai.usage.cache_creation.input_tokens",
	"reasoning": "gen_ai.usage.reasoning.output_tokens",
}

func parseCall(v string) (call, error) {
	c := call{provider: "openai", ints: map[string]int{}}
	for _, kv := range strings.Fields(v) {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("%q: want key=value", kv)
		}
		switch {
		case k == "provider":
			c.provider = val
		case k == "model":
			c.model = val
		case k == "at":
			t, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return c, err
			}
			c.at = t
		case callAttrs[k] != "":
			n, err := strconv.Atoi(val)
			if err != nil {
				return c, fmt.Errorf("%s: %w", k, err)
			}
			c.ints[k] = n
		default:
			return c, fmt.Errorf("unknown key %q", k)
		}
	}
	if c.model == "" {
		return c, errors.New("a call needs model=")
	}
	return c, nil
}

func (c call) emit(ctx context.Context, tr trace.Tracer) {
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", c.provider),
		attribute.String("gen_ai.request.model", c.model),
	}
	for k, n := range c.ints {
		attrs = append(attrs, attribute.Int(callAttrs[k], n))
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	if !c.at.IsZero() {
		opts = append(opts, trace.WithTimestamp(c.at))
	}
	_, s := tr.Start(ctx, "chat "+c.model, opts...)
	if !c.at.IsZero() {
		s.End(trace.WithTimestamp(c.at.Add(time.Second)))
		return
	}
	s.End()
}

// openInferenceLLM emits one LLM call as LangChain under OpenInference
// does: the framework's LLM span, and below it the provider
// instrumentation's LLM span, both carrying the same usage.
func openInferenceLLM(ctx context.Context, tr trace.Tracer, model string, in, out int) {
	usage := []attribute.KeyValue{
		attribute.String("openinference.span.kind", "LLM"),
		attribute.String("llm.model_name", model),
		attribute.String("llm.provider", "openai"),
		attribute.Int("llm.token_count.prompt", in),
		attribute.Int("llm.token_count.completion", out),
		attribute.Int("llm.token_count.total", in+out),
	}
	ctx, wrapper := tr.Start(ctx, "ChatOpenAI", trace.WithAttributes(usage...))
	_, leaf := tr.Start(ctx, "ChatCompletion", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(usage...))
	leaf.End()
	wrapper.End()
}

// newExporter builds the OTLP exporter the environment asks for: the Go
// SDK's HTTP exporter reads OTEL_EXPORTER_OTLP_PROTOCOL itself (http/protobuf
// or http/json); gRPC is a different exporter.
func newExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL") == "grpc" {
		return otlptracegrpc.New(ctx)
	}
	return otlptracehttp.New(ctx)
}

// chatCompletions asks $OPENAI_BASE_URL for n chat completions as an agent
// without telemetry does, one after the other, latency apart. An error
// answer ends it as an agent's error handling would: the provider's
// message on stderr, exit code 3.
func chatCompletions(n int, model string, latency time.Duration) int {
	base := os.Getenv("OPENAI_BASE_URL")
	if base == "" {
		base = "https://api.openai.com/v1"
	}
	for i := 0; i < n; i++ {
		body, _ := json.Marshal(map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": "step " + strconv.Itoa(i)}}})
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+os.Getenv("OPENAI_API_KEY"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testagent:", err)
			return 3
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error struct{ Message, Code string }
			}
			_ = json.Unmarshal(b, &e)
			fmt.Fprintf(os.Stderr, "testagent: LLM call %d: HTTP %d %s: %s\n", i+1, resp.StatusCode, e.Error.Code, e.Error.Message)
			return 3
		}
		fmt.Printf("call %d ok\n", i+1)
		time.Sleep(latency)
	}
	return 0
}
