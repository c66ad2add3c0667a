package capture

import (
	"net/http"
	"strings"
)

// keyHeaders carry API keys; they are forwarded and never recorded.
var keyHeaders = []string{"Authorization", "X-Api-Key", "X-Goog-Api-Key", "Api-Key", "Proxy-Authorization"}

// keyParams are query parameters that carry keys (Gemini's ?key=).
var keyParams = []string{"key", "api_key", "api-key", "apikey", "access_token"}

// secretsOf lists the key values a request carries, so that anything
// recorded from the call (an upstream error message that quotes the key)
// can be scrubbed of them.
func secretsOf(r *http.Request) []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 6 {
			out = append(out, v)
		}
	}
	for _, h := range keyHeaders {
		for _, v := range r.Header.Values(h) {
			if scheme, cred, ok := strings.Cut(v, " "); ok && len(scheme) < 10 {
				add(cred)
			}
			add(v)
		}
	}
	q := r.URL.Query()
	for _, k := range keyParams {
		for _, v := range q[k] {
			add(v)
		}
	}
	return out
}

// keyLike matches API keys as providers print them, masked or not
// (sk-..., sk-ant-..., AIza...).
var keyLike = lazyRegexp(`\b(sk-[A-Za-z0-9_*.\-]{3,}|AIza[0-9A-Za-z_\-]{20,})`)

// scrub removes the request's keys, and anything that looks like a key,
// from s.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return keyLike().ReplaceAllString(s, "[redacted]")
}
