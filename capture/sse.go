package capture

import (
	"bytes"
	"encoding/json"
)

// sseScanner splits a text/event-stream into events (WHATWG HTML, "9.2
// Server-sent events": lines of "field: value", an event ended by a blank
// line) and hands each event's name and data to onEvent. In filter mode
// (out != nil) it also rebuilds the stream the client receives, event by
// event.
type sseScanner struct {
	onEvent func(name string, data []byte)
	// filter turns on the rebuilt output.
	filter bool

	line      []byte // the current, unfinished line
	raw       []byte // the current event's bytes, as received (filter mode)
	name      string
	data      []byte
	oversized bool
	out       []byte
}

func (s *sseScanner) write(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.line = append(s.line, b...)
			if s.filter {
				s.raw = append(s.raw, b...)
			}
			return
		}
		s.line = append(s.line, b[:i]...)
		if s.filter {
			s.raw = append(s.raw, b[:i+1]...)
		}
		s.onLine(bytes.TrimSuffix(s.line, []byte("\r")))
		s.line = s.line[:0]
		b = b[i+1:]
	}
}

func (s *sseScanner) onLine(line []byte) {
	if len(line) == 0 {
		s.dispatch()
		return
	}
	field, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(field) {
	case "event":
		s.name = string(value)
	case "data":
		if len(s.data)+len(value) > maxEvent {
			s.oversized = true
			return
		}
		if len(s.data) > 0 {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
	}
}

// dispatch ends the current event.
func (s *sseScanner) dispatch() {
	if (len(s.data) > 0 || s.name != "") && !s.oversized && s.onEvent != nil {
		s.onEvent(s.name, s.data)
	}
	if s.filter {
		s.out = append(s.out, filterEvent(s.raw, s.data)...)
		s.raw = s.raw[:0]
	}
	s.name, s.data, s.oversized = "", s.data[:0], false
}

// takeOut returns the rebuilt bytes of the events ended so far, valid
// until the next write.
func (s *sseScanner) takeOut() []byte {
	out := s.out
	s.out = s.out[:0]
	return out
}

// flushOut returns, at the end of the stream, what is left of an event
// that never ended, as it came.
func (s *sseScanner) flushOut() []byte {
	out := append(s.takeOut(), s.raw...)
	s.raw = s.raw[:0]
	return out
}

// end dispatches an event the stream ended in without its blank line.
func (s *sseScanner) end() {
	if len(s.line) > 0 {
		s.onLine(bytes.TrimSuffix(s.line, []byte("\r")))
		s.line = nil
	}
	if len(s.data) > 0 && !s.filter {
		s.dispatch()
	}
}

// usageNull matches the "usage":null member OpenAI adds to every chunk
// of a stream asked for its usage, with the comma that joins it.
var usageNull = lazyRegexp(`,\s*"usage"\s*:\s*null|"usage"\s*:\s*null\s*,?`)

// filterEvent is what the client receives of one event of an OpenAI chat
// stream whose usage the proxy asked for: nothing of the usage chunk (no
// choices, a usage), the other chunks without "usage":null.
func filterEvent(raw, data []byte) []byte {
	if !bytes.Contains(data, []byte(`"usage"`)) {
		return raw
	}
	// The common case, OpenAI's compact JSON, without a regexp.
	if i := bytes.Index(raw, compactUsageNull); i >= 0 && !bytes.Contains(data, []byte(`"choices":[]`)) {
		return append(raw[:i:i], raw[i+len(compactUsageNull):]...)
	}
	var chunk struct {
		Choices []json.RawMessage `json:"choices"`
		Usage   json.RawMessage   `json:"usage"`
	}
	if json.Unmarshal(data, &chunk) != nil {
		return raw
	}
	if len(chunk.Choices) == 0 && len(chunk.Usage) > 0 && string(chunk.Usage) != "null" {
		return nil
	}
	return usageNull().ReplaceAll(raw, nil)
}

var compactUsageNull = []byte(`,"usage":null`)
