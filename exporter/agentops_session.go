package exporter

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Counted gives the exporter the session's final counting: from then on
// it sends AgentOpsCopy of what it is given. The pipeline must hold the
// session's spans until then (a wrapper LLM span is known to be one only
// once the spans under it have arrived).
func (a *AgentOps) Counted(s AgentOpsSession) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.session = &s
}

// ExportTraces sends the AgentOps copy of td (see AgentOpsCopy) once the
// session is counted; before that, or without a session (a stored session
// exported again), td as it is. td itself is not changed: other exporters
// share it.
func (a *AgentOps) ExportTraces(ctx context.Context, td ptrace.Traces) error {
	a.mu.Lock()
	s := a.session
	a.mu.Unlock()
	if s != nil {
		td = AgentOpsCopy(td, *s)
	}
	return a.otlp.ExportTraces(ctx, td)
}

// Shutdown releases the exporter's connections.
func (a *AgentOps) Shutdown(ctx context.Context) error { return a.otlp.Shutdown(ctx) }

// KeyMatches reports whether key is the API key this exporter sends with:
// the session answers the key exchange of the child's own AgentOps SDK
// only for that key, so its spans join the project they were meant for.
func (a *AgentOps) KeyMatches(key string) bool {
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(a.auth.key)) == 1
}

// UploadLogs sends the log upload of an AgentOps SDK (the output it
// captured) to AgentOps for the trace traceID, as the SDK does: POST
// {api}/v4/logs/upload/ with the JWT and the trace id, in decimal, in a
// Trace-Id header (agentops/client/api/versions/v4.py). It returns
// AgentOps' answer; a 401 fetches a new JWT once, as exports do.
func (a *AgentOps) UploadLogs(ctx context.Context, traceID pcommon.TraceID, body []byte) (int, []byte, error) {
	url := strings.TrimRight(a.ep.API, "/") + "/v4/logs/upload/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("AgentOps log upload: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Trace-Id", new(big.Int).SetBytes(traceID[:]).String())
	client := &http.Client{Transport: &bearerTransport{base: http.DefaultTransport, auth: a.auth}, Timeout: a.auth.client.Timeout}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, a.auth.redact(fmt.Errorf("AgentOps log upload: %w (check AGENTOPS_API_ENDPOINT)", err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, a.auth.redactSecrets(b), nil
}

// redactSecrets removes the key and the JWT from what AgentOps answered:
// that answer goes to the child, which must see neither.
func (a *agentOpsAuth) redactSecrets(b []byte) []byte {
	a.mu.Lock()
	secrets := [][]byte{[]byte(a.key), []byte(a.jwt)}
	a.mu.Unlock()
	for _, s := range secrets {
		if len(s) > 0 {
			b = bytes.ReplaceAll(b, s, []byte("[REDACTED]"))
		}
	}
	return b
}
