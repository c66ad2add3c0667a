package receiver

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A route the receiver's user adds is served on the receiver's port, with
// its own authorization, while the OTLP paths keep requiring the token.
func TestRoutes(t *testing.T) {
	r, _ := startReceiver(t, Config{Token: "tok", Routes: map[string]http.Handler{
		"POST /v3/auth/token": http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.WriteString(w, `{"token":"tok"}`)
		}),
	}})
	resp, err := http.Post(r.Endpoint()+"/v3/auth/token", "application/json", strings.NewReader(`{"api_key":"k"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"token":"tok"}` {
		t.Errorf("route answered %d %q", resp.StatusCode, b)
	}
	resp, err = http.Post(r.Endpoint()+PathTraces, contentTypeProto, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("traces without the token answered %d, want 401", resp.StatusCode)
	}
}
