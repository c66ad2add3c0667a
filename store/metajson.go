package store

import (
	"encoding/json"
	"strconv"
)

// MarshalJSON writes the start record as encoding/json writes the struct
// (metajson_test.go compares the two), without building encoding/json's
// encoder of the type by reflection: that was a tenth of a millisecond of
// every session's start, before its child may run. Each string is still
// written by encoding/json, which escapes it as it always did.
func (m Meta) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	str := func(name, v string) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		s, _ := json.Marshal(v) // a string cannot fail
		b = append(b, s...)
	}
	str("id", m.ID)
	b[0] = '{' // the first member has no comma before it
	b = append(b, `,"command":`...)
	c, _ := json.Marshal(m.Command) // nor a []string
	b = append(b, c...)
	if m.Dir != "" {
		str("cwd", m.Dir)
	}
	start, err := m.Start.MarshalJSON()
	if err != nil {
		type plain Meta // encoding/json says what is wrong, as before
		return json.Marshal(plain(m))
	}
	b = append(b, `,"start":`...)
	b = append(b, start...)
	if m.PID != 0 {
		b = append(b, `,"agentops_pid":`...)
		b = strconv.AppendInt(b, int64(m.PID), 10)
	}
	if m.Host != "" {
		str("host", m.Host)
	}
	if m.Lock != "" {
		str("lock", m.Lock)
	}
	if m.StoreError != "" {
		str("store_error", m.StoreError)
	}
	return append(b, '}'), nil
}
