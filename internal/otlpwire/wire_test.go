package otlpwire

import (
	"bytes"
	"math"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func TestFormatTimeout(t *testing.T) {
	// grpc-go's encodeTimeout gives these (its transport tests' table).
	for d, want := range map[time.Duration]string{
		0:                            "0n",
		-1:                           "0n",
		10 * time.Nanosecond:         "10n",
		12345678 * time.Nanosecond:   "12345678n",
		123456789 * time.Nanosecond:  "123457u",
		time.Second:                  "1000000u",
		10 * time.Second:             "10000000u",
		100 * time.Second:            "100000m",
		99999999 * time.Minute:       "99999999M",
		100000000 * time.Minute:      "1666667H",
		time.Duration(math.MaxInt64): "2562048H",
	} {
		if got := FormatTimeout(d); got != want {
			t.Errorf("FormatTimeout(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"1000000u": time.Second, "5S": 5 * time.Second, "7M": 7 * time.Minute, "2H": 2 * time.Hour,
		"3m": 3 * time.Millisecond, "99999999n": 99999999, "99999999H": math.MaxInt64, "0n": 0,
	} {
		if got, err := ParseTimeout(s); err != nil || got != want {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "1", "S", "123456789S", "1x", "+1S", "-1S", "1.5S", "0x1S"} {
		if got, err := ParseTimeout(s); err == nil {
			t.Errorf("ParseTimeout(%q) = %v, want an error", s, got)
		}
	}
	// What FormatTimeout writes reads back as at least d, at most one
	// unit more.
	for _, d := range []time.Duration{1, 999, 1001 * time.Microsecond, 3*time.Hour + 1, 10 * time.Second} {
		got, err := ParseTimeout(FormatTimeout(d))
		if err != nil || got < d || got > d+d/1e6+time.Microsecond {
			t.Errorf("ParseTimeout(FormatTimeout(%v)) = %v, %v", d, got, err)
		}
	}
}

// partialCases are partial successes as the three pdata responses carry them.
var partialCases = []Partial{
	{},
	{Rejected: 2, Message: "2 span(s) with an empty trace id or span id rejected"},
	{Rejected: 1 << 40},
	{Rejected: -3, Message: "negative"},
	{Message: "only a message: \"quoted\" \\ \t\r\n\x01\x1f é \u2028 & < > /"},
}

// pdataResponses are p as pdata's three responses marshal it, with the
// JSON name of their rejected_*.
func pdataResponses(t testing.TB, p Partial) map[string][2][]byte {
	t.Helper()
	tr := ptraceotlp.NewExportResponse()
	tr.PartialSuccess().SetRejectedSpans(p.Rejected)
	tr.PartialSuccess().SetErrorMessage(p.Message)
	lr := plogotlp.NewExportResponse()
	lr.PartialSuccess().SetRejectedLogRecords(p.Rejected)
	lr.PartialSuccess().SetErrorMessage(p.Message)
	mr := pmetricotlp.NewExportResponse()
	mr.PartialSuccess().SetRejectedDataPoints(p.Rejected)
	mr.PartialSuccess().SetErrorMessage(p.Message)
	out := map[string][2][]byte{}
	for name, r := range map[string]interface {
		MarshalProto() ([]byte, error)
		MarshalJSON() ([]byte, error)
	}{RejectedSpans: tr, RejectedLogRecords: lr, RejectedDataPoints: mr} {
		pb, err := r.MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		js, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = [2][]byte{pb, js}
	}
	return out
}

func TestPartialIsPdatas(t *testing.T) {
	for _, p := range partialCases {
		for name, want := range pdataResponses(t, p) {
			if got := p.AppendProto(nil); !bytes.Equal(got, want[0]) {
				t.Errorf("%+v AppendProto = %x, pdata marshals %x", p, got, want[0])
			}
			if got := p.AppendJSON(nil, name); !bytes.Equal(got, want[1]) {
				t.Errorf("%+v AppendJSON(%s) = %s, pdata marshals %s", p, name, got, want[1])
			}
			for i, isJSON := range []bool{false, true} {
				if got, err := ParsePartial(want[i], isJSON); err != nil || got != p {
					t.Errorf("ParsePartial(pdata's %s, json %v) = %+v, %v; want %+v", want[i], isJSON, got, err, p)
				}
			}
		}
	}
}

func TestParsePartial(t *testing.T) {
	tests := []struct {
		body   string
		isJSON bool
		want   Partial
		err    bool
	}{
		{"", false, Partial{}, false},
		{"{}", true, Partial{}, false},
		{`{"partialSuccess":null}`, true, Partial{}, false},
		{`{"partialSuccess":{"rejectedSpans":4}}`, true, Partial{Rejected: 4}, false},
		{`{"partial_success":{"rejected_log_records":"5","error_message":"x"}}`, true, Partial{Rejected: 5, Message: "x"}, false},
		{`{"partialSuccess":{"rejectedDataPoints":"1.5"}}`, true, Partial{}, true},
		{`{"partialSuccess":[]}`, true, Partial{}, true},
		{`not json`, true, Partial{}, true},
		{"\x0a\x02\x08\x07", false, Partial{Rejected: 7}, false},
		// Two occurrences of partial_success merge.
		{"\x0a\x02\x08\x07\x0a\x03\x12\x01m", false, Partial{Rejected: 7, Message: "m"}, false},
		// Unknown fields are skipped.
		{"\x10\x01\x0a\x04\x08\x07\x18\x02", false, Partial{Rejected: 7}, false},
		{"\x0a\x05\x08", false, Partial{}, true},
		{"\x0a\x01\x08", false, Partial{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePartial([]byte(tt.body), tt.isJSON)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParsePartial(%q, %v) = %+v, %v; want %+v, error %v", tt.body, tt.isJSON, got, err, tt.want, tt.err)
		}
	}
}

// FuzzReadStatus: whatever the headers, no panic; a status read back from
// what Write wrote of a read one is the same.
// Seeds: testdata/fuzz/FuzzReadStatus.
func FuzzReadStatus(f *testing.F) {
	for _, s := range statusCases {
		h := http.Header{}
		s.Write(h)
		f.Add(h.Get(HeaderStatus), h.Get(HeaderMessage), h.Get(HeaderDetails))
	}
	f.Fuzz(func(t *testing.T, code, msg, details string) {
		h := http.Header{HeaderStatus: {code}, HeaderMessage: {msg}}
		if details != "" {
			h.Set(HeaderDetails, details)
		}
		st, ok, err := ReadStatus(h)
		if !ok || err != nil {
			return
		}
		again := http.Header{}
		st.Write(again)
		back, ok, err := ReadStatus(again)
		if !ok || err != nil || back != expected(st) {
			t.Fatalf("read %+v, wrote %v, read back %+v, %v, %v", st, again, back, ok, err)
		}
	})
}

// FuzzParsePartial: whatever the bytes, no panic; what it reads as
// protobuf is what pdata's decoder reads, when both accept it; a read
// Partial appends and reads back the same.
// Seeds: testdata/fuzz/FuzzParsePartial.
func FuzzParsePartial(f *testing.F) {
	for _, p := range partialCases {
		for _, r := range pdataResponses(f, p) {
			f.Add(r[0], false)
			f.Add(r[1], true)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		p, err := ParsePartial(body, isJSON)
		if err != nil {
			return
		}
		if !isJSON {
			r := ptraceotlp.NewExportResponse()
			if r.UnmarshalProto(body) == nil {
				ps := r.PartialSuccess()
				if got := (Partial{Rejected: ps.RejectedSpans(), Message: ps.ErrorMessage()}); got != p {
					t.Fatalf("ParsePartial(%x) = %+v, pdata reads %+v", body, p, got)
				}
			}
		}
		for i, b := range [][]byte{p.AppendProto(nil), p.AppendJSON(nil, RejectedSpans)} {
			want := p
			if i == 1 {
				want.Message = validUTF8(p.Message)
			}
			if back, err := ParsePartial(b, i == 1); err != nil || back != want {
				t.Fatalf("%+v appended as %q reads back as %+v, %v", p, b, back, err)
			}
		}
	})
}

// FuzzReadFrame: whatever the bytes, no panic, and a frame read is
// appended back as the bytes it was read from.
// Seeds: testdata/fuzz/FuzzReadFrame.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, []byte("msg"), false))
	f.Add(AppendFrame(nil, []byte("zipped"), true))
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		msg, compressed, err := ReadFrame(bytes.NewReader(in), 1<<16)
		if err != nil {
			return
		}
		if back := AppendFrame(nil, msg, compressed); !bytes.Equal(back, in[:len(back)]) {
			t.Fatalf("read %q (compressed %v) from %q, appended back as %q", msg, compressed, in, back)
		}
	})
}

// FuzzParseTimeout: whatever the string, no panic; a timeout read is
// formatted back to one that reads no shorter.
// Seeds: testdata/fuzz/FuzzParseTimeout.
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"1000000u", "5S", "99999999H", "0n", "1x", "+1S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeout(s)
		if err != nil {
			return
		}
		if back, err := ParseTimeout(FormatTimeout(d)); err != nil || back < d {
			t.Fatalf("%q = %v, formatted %q, read back %v, %v", s, d, FormatTimeout(d), back, err)
		}
	})
}
