package capture

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSSE feeds a stream, cut at an arbitrary point, to the scanner in
// filter mode and to the response readers: nothing panics, a stream with
// no "usage" in it passes through unchanged, and splitting the stream
// does not change what comes out.
func FuzzSSE(f *testing.F) {
	f.Add([]byte("data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\ndata: [DONE]\n\n"), 7)
	f.Add([]byte("event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\r\n\r\n"), 20)
	f.Add([]byte(": comment\n\ndata\ndata:\n\n"), 1)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		run := func(parts ...[]byte) []byte {
			c := &call{p: &Proxy{cfg: Config{MaxContent: 64}}, ep: Endpoint{Format: FormatChat}}
			s := &sseScanner{onEvent: c.onEvent, filter: true}
			var out []byte
			for _, p := range parts {
				s.write(p)
				out = append(out, s.takeOut()...)
			}
			out = append(out, s.flushOut()...)
			s.end()
			for _, f := range []Format{FormatResponses, FormatMessages, FormatGemini, FormatEmbeddings} {
				c.ep.Format = f
				c.onJSON(stream)
			}
			return out
		}
		if cut < 0 {
			cut = -cut
		}
		cut %= len(stream) + 1
		whole := run(stream)
		split := run(stream[:cut], stream[cut:])
		if !bytes.Equal(whole, split) {
			t.Fatalf("split at %d: %q, whole: %q", cut, split, whole)
		}
		if !bytes.Contains(stream, []byte("usage")) && !bytes.Equal(whole, stream) {
			t.Fatalf("changed a stream without usage: %q → %q", stream, whole)
		}
	})
}

// FuzzInjectUsage: the request body stays valid JSON with the option
// added, and keeps every member it had.
func FuzzInjectUsage(f *testing.F) {
	f.Add([]byte(`{"model":"m","stream":true}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(" {\"a\":[1,{\"b\":\"}\"}]} \n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var before map[string]json.RawMessage
		if json.Unmarshal(body, &before) != nil || before == nil {
			return
		}
		if _, ok := before["stream_options"]; ok {
			return
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(injectUsage(body), &after); err != nil {
			t.Fatalf("%q → %q: %v", body, injectUsage(body), err)
		}
		if string(after["stream_options"]) != `{"include_usage":true}` || len(after) != len(before)+1 {
			t.Fatalf("%q → %q", body, injectUsage(body))
		}
	})
}
