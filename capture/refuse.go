package capture

import (
	"encoding/json"
	"net/http"
)

// writeRefusal answers a call the Gate refused: HTTP 429 with the body
// the provider's own API gives a rate-limited request, so that the
// client's SDK raises its usual rate-limit error with our message, and
// x-should-retry: false, which the OpenAI and Anthropic SDKs honour by
// not retrying (a budget does not come back after a backoff).
func writeRefusal(w http.ResponseWriter, api, msg string) {
	var body any
	switch api {
	case APIAnthropic:
		// https://docs.anthropic.com/en/api/errors
		body = map[string]any{"type": "error", "error": map[string]any{"type": "rate_limit_error", "message": msg}}
	case APIGemini:
		// google.rpc.Status as the Gemini API sends it.
		body = map[string]any{"error": map[string]any{"code": http.StatusTooManyRequests, "message": msg, "status": "RESOURCE_EXHAUSTED"}}
	default:
		// https://platform.openai.com/docs/guides/error-codes
		body = map[string]any{"error": map[string]any{"message": msg, "type": "insufficient_quota", "param": nil, "code": "agentops_limit_reached"}}
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Should-Retry", "false")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(b)
}
