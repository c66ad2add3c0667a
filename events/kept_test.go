package events

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fillEvent sets every exported field of v (a struct, and the structs its
// pointers point to) to a value of its own, counting from *n; bools are
// set to on.
func fillEvent(t *testing.T, v reflect.Value, n *int, on bool) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		if !v.Type().Field(i).IsExported() {
			continue
		}
		*n++
		switch {
		case f.Kind() == reflect.String:
			f.SetString(name + "-" + string(rune('a'+*n%26)) + "é\n\"")
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			f.SetInt(int64(*n) * 1_000_003)
		case f.Kind() == reflect.Bool:
			f.SetBool(on)
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.Unix(int64(*n)*1000, int64(*n)).UTC()))
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Float64:
			usd := float64(*n) / 7
			f.Set(reflect.ValueOf(&usd))
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
			p := reflect.New(f.Type().Elem())
			fillEvent(t, p.Elem(), n, on)
			f.Set(p)
		default:
			t.Fatalf("field %s of %s: a %s, which the test does not fill", name, v.Type(), f.Type())
		}
	}
}

// A packed event unpacks to the event, every field of it: one that sets
// them all, one with none of its parts, and each part alone. A field
// added to Event or its parts and not packed fails here.
func TestKeptEventPacksEveryField(t *testing.T) {
	fields := map[reflect.Type]int{
		reflect.TypeFor[Event](): 19, reflect.TypeFor[LLM](): 22, reflect.TypeFor[Tool](): 4,
		reflect.TypeFor[Action](): 3, reflect.TypeFor[Agent](): 3, reflect.TypeFor[Error](): 6,
	}
	for typ, n := range fields {
		if typ.NumField() != n {
			t.Fatalf("%s has %d fields, pack knows %d: pack and unpack the new ones, then update this test", typ, typ.NumField(), n)
		}
	}
	var full Event
	n := 0
	fillEvent(t, reflect.ValueOf(&full).Elem(), &n, true)
	full.spanKey = 0xfeedface12345678
	cases := map[string]Event{"all": full, "none": {Kind: KindLLM, Start: full.Start}}
	for _, part := range []string{"LLM", "Tool", "Action", "Agent", "Error"} {
		var e Event
		n := 100
		fillEvent(t, reflect.ValueOf(&e).Elem(), &n, false)
		for _, other := range []string{"LLM", "Tool", "Action", "Agent", "Error"} {
			if other != part {
				reflect.ValueOf(&e).Elem().FieldByName(other).SetZero()
			}
		}
		e.Start = time.Date(2026, 12, 1, 10, 0, 0, 5, time.Local)
		cases[part] = e
	}
	var scratch []byte
	var d keptDict
	for name, e := range cases {
		var k keptEvent
		k, scratch = pack(&e, &d, scratch, nil)
		if got := k.unpack(&d, new(LLM)); !reflect.DeepEqual(got, e) {
			t.Errorf("%s: unpacked\n%+v\nwant\n%+v", name, got, e)
		}
	}
}

// Ids are packed in binary only when the hex gives them back; past the
// dictionary's bounds, strings are packed as they are; times that are not
// plain UTC (another zone, a monotonic reading) are kept as they are.
func TestKeptEventPackingEdges(t *testing.T) {
	var d keptDict
	var scratch []byte
	check := func(name string, e Event) {
		t.Helper()
		var k keptEvent
		k, scratch = pack(&e, &d, scratch, nil)
		if got := k.unpack(&d, new(LLM)); !reflect.DeepEqual(got, e) {
			t.Fatalf("%s: unpacked\n%+v\nwant\n%+v", name, got, e)
		}
	}
	at := time.Date(2026, 12, 1, 11, 0, 0, 123, time.UTC)
	for _, id := range []string{"0123456789abcdef", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0123456789abcdef", "", "zz"} {
		check("id "+id, Event{Kind: KindTool, TraceID: id, SpanID: id, ParentSpanID: id, Start: at, End: at, Tool: &Tool{Name: "t"}})
	}
	check("monotonic", Event{Kind: KindAgent, Start: time.Now(), End: at, Agent: &Agent{}})
	check("zero times", Event{Kind: KindAction, Action: &Action{Type: "chain"}})
	long := strings.Repeat("m", maxDictLen+1)
	for i := range maxDictStrings + 10 {
		check("word", Event{Kind: KindLLM, Name: fmt.Sprintf("chat %d", i), Start: at, LLM: &LLM{RequestModel: long, Time: at}})
	}
	if len(d.strs) != maxDictStrings {
		t.Fatalf("dictionary of %d strings, want %d", len(d.strs), maxDictStrings)
	}
}
