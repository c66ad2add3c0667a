package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// agentOpsSDKChild behaves as an agent using the AgentOps Python SDK
// (0.4.x, agentops/config.py, client/client.py, client/api/versions/v3.py
// and v4.py, sdk/core.py, sdk/exporters.py, sdk/processors.py) does:
//
//   - endpoints from AGENTOPS_API_ENDPOINT and AGENTOPS_EXPORTER_ENDPOINT
//     (the SDK's own defaults are not loopback, so this child refuses to
//     run without them), the key from AGENTOPS_API_KEY;
//   - POST {api}/v3/auth/token {"api_key": key} for a JWT;
//   - its own trace (the SDK does not read TRACEPARENT): a root span
//     "default.session" (agentops.span.kind=session, operation.name) with
//     an agent, an LLM call in the names its OpenAI instrumentation uses
//     (gen_ai.usage.prompt_tokens, ...) and a tool under it, sent over
//     OTLP/HTTP protobuf, uncompressed, with "Authorization: Bearer <jwt>";
//   - when the root span ends, the output it captured uploaded with POST
//     {api}/v4/logs/upload/ {"body": ...}, Trace-Id the trace id in decimal.
func agentOpsSDKChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "agentops sdk child:", err)
		return 70
	}
	key, api, otlpURL := os.Getenv("AGENTOPS_API_KEY"), os.Getenv("AGENTOPS_API_ENDPOINT"), os.Getenv("AGENTOPS_EXPORTER_ENDPOINT")
	if key == "" || !strings.HasPrefix(api, "http://127.0.0.1:") || !strings.HasPrefix(otlpURL, "http://127.0.0.1:") {
		return fail(fmt.Errorf("want AGENTOPS_API_KEY and loopback AGENTOPS_API_ENDPOINT, AGENTOPS_EXPORTER_ENDPOINT; got endpoints %q, %q", api, otlpURL))
	}
	var captured bytes.Buffer
	say := func(format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		fmt.Println(line)
		captured.WriteString(line + "\n")
	}

	reqBody, _ := json.Marshal(map[string]string{"api_key": key})
	resp, err := agentOpsCall(http.MethodPost, api+"/v3/auth/token", reqBody, map[string]string{"Content-Type": "application/json", "User-Agent": "agentops-python/0.4.21"})
	if err != nil {
		return fail(err)
	}
	var tok struct {
		Token     string `json:"token"`
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(resp, &tok); err != nil || tok.Token == "" {
		return fail(fmt.Errorf("token exchange answered %q", resp))
	}

	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(otlpURL),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + tok.Token}),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
	)
	if err != nil {
		return fail(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "agentops"), attribute.String("agentops.project.id", "temporary"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))
	tr := tp.Tracer("agentops")

	// A new root: the SDK starts its trace without a parent.
	ctx, root := tr.Start(ctx, "default.session", trace.WithNewRoot(), trace.WithAttributes(
		attribute.String("agentops.span.kind", "session"),
		attribute.String("operation.name", "default"),
		attribute.StringSlice("agentops.tags", []string{"sdk"}),
	))
	say("researching the weather")
	actx, agent := tr.Start(ctx, "researcher.agent", trace.WithAttributes(
		attribute.String("agentops.span.kind", "agent"),
		attribute.String("agentops.entity.name", "researcher"),
	))
	_, llm := tr.Start(actx, "openai.chat.completion", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.system", "OpenAI"),
		attribute.String("llm.request.type", "chat"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.String("gen_ai.response.model", "gpt-4o-mini"),
		attribute.Int("gen_ai.usage.prompt_tokens", 1234),
		attribute.Int("gen_ai.usage.completion_tokens", 567),
		attribute.Int("gen_ai.usage.total_tokens", 1801),
	))
	llm.End()
	_, tool := tr.Start(actx, "get_weather.tool", trace.WithAttributes(
		attribute.String("agentops.span.kind", "tool"),
		attribute.String("agentops.entity.name", "get_weather"),
		attribute.String("agentops.entity.input", `{"city":"Paris"}`),
	))
	tool.End()
	agent.End()
	say("the weather in Paris is 18C")
	root.End()
	// core.py force-flushes at trace end; processors.py uploads the log
	// once the root span has ended.
	if err := tp.ForceFlush(context.Background()); err != nil {
		return fail(fmt.Errorf("flush: %w", err))
	}
	traceID := root.SpanContext().TraceID()
	logBody, _ := json.Marshal(map[string]string{"body": captured.String()})
	if _, err := agentOpsCall(http.MethodPost, api+"/v4/logs/upload/", logBody, map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer " + tok.Token,
		"Trace-Id": new(big.Int).SetBytes(traceID[:]).String(),
	}); err != nil {
		return fail(fmt.Errorf("log upload: %w", err))
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		return fail(err)
	}
	fmt.Println("agentops sdk child done")
	return 0
}

func agentOpsCall(method, url string, body []byte, headers map[string]string) ([]byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status + ": " + string(b))
	}
	return b, nil
}
