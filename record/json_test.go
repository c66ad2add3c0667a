package record

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
)

// The session document is written by MarshalJSON (json.go); these tests
// hold it to what encoding/json writes for the same struct by reflection,
// for records whose every exported field, however deep, is set at random
// (zero, empty, nil or not; strings with characters to escape; floats at
// the format's cut-offs; times in several zones). A field added to the
// record and not to json.go makes them fail.

// plainSession is Session without its MarshalJSON: encoding/json's own
// encoding of the struct.
type plainSession Session

func checkSessionJSON(t *testing.T, s *Session) {
	t.Helper()
	want, wantErr := json.Marshal((*plainSession)(s))
	got, err := json.Marshal(s)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("json.Marshal error %v; encoding/json's %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal of the record:\n%s\nencoding/json's:\n%s", got, want)
	}
	// The writer's own bytes, before encoding/json checks and compacts
	// them, are the same too.
	direct, err := s.MarshalJSON()
	if err != nil || !bytes.Equal(direct, want) {
		t.Fatalf("MarshalJSON (err %v):\n%s\nencoding/json's:\n%s", err, direct, want)
	}
	wantIndent, _ := json.MarshalIndent((*plainSession)(s), "", "  ")
	if gotIndent, _ := json.MarshalIndent(s, "", "  "); !bytes.Equal(gotIndent, wantIndent) {
		t.Fatalf("MarshalIndent:\n%s\nencoding/json's:\n%s", gotIndent, wantIndent)
	}
}

var (
	testStrings = []string{"", "", "a", "claude-sonnet-4", "<b>&amp;</b>", "quote \" backslash \\",
		"\x00\x01\x1f\b\f\n\r\t", "\u2028\u2029", "bad \xff utf-8 \xc3", "é漢字🙂", "\x7f", "line\nbreak"}
	testFloats = []float64{0, 0, math.Copysign(0, -1), 1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 123456789e13,
		-2.5e-9, 0.000123, 3.14159, math.MaxFloat64, math.SmallestNonzeroFloat64}
	testZones = []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("X", -(5*3600 + 30*60)), time.Local}
)

// fill sets v, and every exported field in it, at random.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	if v.Type() == reflect.TypeOf(time.Time{}) {
		if r.Intn(5) == 0 {
			v.Set(reflect.ValueOf(time.Time{}))
			return
		}
		t := time.Unix(r.Int63n(4e9), r.Int63n(1e9)).In(testZones[r.Intn(len(testZones))])
		if r.Intn(4) == 0 {
			t = t.Truncate(time.Second)
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth)
			}
		}
	case reflect.String:
		s := testStrings[r.Intn(len(testStrings))]
		if r.Intn(4) == 0 {
			b := make([]byte, r.Intn(12))
			r.Read(b)
			s = string(b)
		}
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		switch r.Intn(3) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(r.Int63n(1000) - 100)
		default:
			v.SetInt(r.Int63() - r.Int63())
		}
	case reflect.Float64:
		f := testFloats[r.Intn(len(testFloats))]
		if r.Intn(3) == 0 {
			f = r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
		}
		v.SetFloat(f)
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 0)
	case reflect.Pointer:
		if depth > 3 || r.Intn(3) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch n := r.Intn(5); {
		case n == 0 || depth > 3:
			v.Set(reflect.Zero(v.Type()))
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := 0; i < n-1; i++ {
				fill(r, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := r.Intn(5); n {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for i := 0; i < n-1; i++ {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(r, k, depth+1)
				fill(r, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	default:
		panic("fill: no values for " + v.Type().String())
	}
}

func randomSession(seed int64) *Session {
	r := rand.New(rand.NewSource(seed))
	var s Session
	fill(r, reflect.ValueOf(&s).Elem(), 0)
	return &s
}

func TestSessionJSONMatchesEncodingJSON(t *testing.T) {
	for seed := int64(0); seed < 500; seed++ {
		checkSessionJSON(t, randomSession(seed))
	}
	// The zero record, and the record of `agentops run -- true`.
	checkSessionJSON(t, &Session{})
	start := time.Date(2026, 12, 1, 13, 45, 57, 549272775, time.UTC)
	checkSessionJSON(t, &Session{SchemaVersion: SchemaVersion, ID: "aef00926-967c-46bb-9c33-f35f8e5d50ce",
		Command: []string{"true"}, Dir: "/tmp", Start: start, End: start.Add(3 * time.Millisecond), PID: 2302,
		EndState: Success, EndReason: "exit code 0", Endpoint: "http://127.0.0.1:42963",
		InjectedEnv: []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}, Prices: "genai-prices 2026-08-21",
		Capture: &Capture{Vars: []string{"OPENAI_BASE_URL"}, Skipped: []CaptureSkip{{Var: "GOOGLE_GEMINI_BASE_URL", Reason: "set only when you set it"}}}})
}

// TestSessionJSONRefusesAsEncodingJSON: what encoding/json refuses (a NaN
// cost, a year past 9999, an event's NaN) is refused still, for the same
// reason.
func TestSessionJSONRefusesAsEncodingJSON(t *testing.T) {
	nan := math.NaN()
	for name, s := range map[string]*Session{
		"NaN cost":       {Totals: events.Totals{CostUSD: nan}},
		"infinite limit": {Budget: &Budget{MaxCostUSD: math.Inf(1)}},
		"year 10000":     {End: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"event's NaN":    {Events: []events.Event{{Kind: events.KindLLM, LLM: &events.LLM{CostUSD: &nan}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, want := json.Marshal((*plainSession)(s))
			_, err := json.Marshal(s)
			// encoding/json names the MarshalJSON it called before the reason.
			if want == nil || err == nil || !strings.HasSuffix(err.Error(), want.Error()) {
				t.Errorf("error %v; encoding/json's %v", err, want)
			}
		})
	}
}

func FuzzSessionJSON(f *testing.F) {
	f.Add(int64(1))
	f.Add(int64(-7))
	f.Fuzz(func(t *testing.T, seed int64) {
		checkSessionJSON(t, randomSession(seed))
	})
}
