package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"go.opentelemetry.io/contrib/propagators/envcar"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestRunCarriesGoSDKSpansAndLogs runs a child on the real OpenTelemetry Go
// SDK, traces and logs, over each protocol the Go SDK speaks (it has no
// http/json exporter), and checks every span and log record arrived under
// the session span.
func TestRunCarriesGoSDKSpansAndLogs(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			res := runAgentops(t, []string{childEnvVar + "=gosdk"}, []string{"--protocol", protocol}, self)
			if res.exitCode != 0 {
				t.Fatalf("exit code %d\nstderr:\n%s", res.exitCode, res.stderr)
			}
			var sent nodeSent
			if err := json.Unmarshal([]byte(res.stdout), &sent); err != nil {
				t.Fatalf("child stdout %q: %v\nstderr:\n%s", res.stdout, err, res.stderr)
			}
			s := res.session
			t.Logf("Go SDK %s: spans sent %d received %d, logs sent %d received %d",
				protocol, sent.Spans, s.SpansReceived, sent.Logs, s.LogsReceived)
			if sent.Protocol != protocol || sent.Spans != 701 || s.SpansReceived != sent.Spans {
				t.Errorf("spans over %s: sent %d, received %d", sent.Protocol, sent.Spans, s.SpansReceived)
			}
			if sent.Logs != 701 || s.LogsReceived != sent.Logs {
				t.Errorf("log records: sent %d, received %d", sent.Logs, s.LogsReceived)
			}
			if s.Totals.LLMCalls != 400 || s.Totals.ToolCalls != 300 || s.Totals.InputTokens != 40000 {
				t.Errorf("totals = %+v, want 400 LLM calls, 300 tool calls, 40000 input tokens", s.Totals)
			}
			checkParenting(t, s)
		})
	}
}

// goSDKChild is the child of TestRunCarriesGoSDKSpansAndLogs: the same
// agent as e2e/node/agent.js (1 agent span, 400 LLM and 300 tool spans, 700
// INFO and 1 ERROR log records: more than one export batch of each), configured only from the injected environment.
func goSDKChild() int {
	ctx := context.Background()
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	var (
		spanExp sdktrace.SpanExporter
		logExp  sdklog.Exporter
		err     error
	)
	if protocol == "grpc" {
		spanExp, err = otlptracegrpc.New(ctx)
		if err == nil {
			logExp, err = otlploggrpc.New(ctx)
		}
	} else {
		spanExp, err = otlptracehttp.New(ctx)
		if err == nil {
			logExp, err = otlploghttp.New(ctx)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "exporters:", err)
		return 70
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spanExp))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(logExp)))
	tracer, logger := tp.Tracer("go-agent"), lp.Logger("go-agent")

	ctx = propagation.TraceContext{}.Extract(ctx, &envcar.Carrier{})
	ctx, agent := tracer.Start(ctx, "invoke_agent go-agent", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent")))
	spans := 1
	for i := 0; i < 400; i++ {
		_, s := tracer.Start(ctx, "chat gpt-4o-mini", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.request.model", "gpt-4o-mini"),
			attribute.Int("gen_ai.usage.input_tokens", 100),
			attribute.Int("gen_ai.usage.output_tokens", 20)))
		s.End()
		spans++
	}
	for i := 0; i < 300; i++ {
		_, s := tracer.Start(ctx, "execute_tool search", trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"),
			attribute.String("gen_ai.tool.name", "search")))
		s.End()
		spans++
	}
	emit := func(sev otellog.Severity, body string, attrs ...attribute.KeyValue) {
		var r otellog.Record
		r.SetSeverity(sev)
		r.SetSeverityText(sev.String())
		r.SetBody(attribute.StringValue(body))
		r.AddAttributes(attrs...)
		logger.Emit(ctx, r) // ctx carries the agent span: the record gets its ids
	}
	for i := 0; i < 700; i++ {
		emit(otellog.SeverityInfo, fmt.Sprintf("step %d done", i))
	}
	emit(otellog.SeverityError, "tool search failed",
		attribute.String("exception.type", "TimeoutError"),
		attribute.String("exception.message", "search backend timed out"))
	agent.End()

	err = errors.Join(tp.Shutdown(context.Background()), lp.Shutdown(context.Background()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		return 1
	}
	_ = json.NewEncoder(os.Stdout).Encode(nodeSent{Protocol: protocol, Spans: int64(spans), Logs: 701})
	return 0
}
