package store

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

// plainMeta is Meta without its MarshalJSON: encoding/json's own encoding.
type plainMeta Meta

// TestMetaJSONMatchesEncodingJSON: the start record's JSON is byte for
// byte encoding/json's, for every field set or not, strings that need
// escaping, times in several zones; a field added to Meta and not to
// MarshalJSON fails it (every field is set in some of the records).
func TestMetaJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "", "a", "/home/me/<proj> & co", "quote \" \\", "\x00\n\t\u2028", "bad \xff", "漢字"}
	zones := []*time.Location{time.UTC, time.FixedZone("", 3600), time.Local}
	r := rand.New(rand.NewSource(1))
	pick := func() string { return strs[r.Intn(len(strs))] }
	for i := 0; i < 2000; i++ {
		// Every field, by reflection: a field added later is set too.
		var m Meta
		v := reflect.ValueOf(&m).Elem()
		for f := 0; f < v.NumField(); f++ {
			switch fv := v.Field(f); fv.Interface().(type) {
			case string:
				fv.SetString(pick())
			case int:
				fv.SetInt(int64(r.Intn(3) * r.Intn(1<<22)))
			case []string:
				switch r.Intn(3) {
				case 1:
					fv.Set(reflect.ValueOf([]string{}))
				case 2:
					fv.Set(reflect.ValueOf([]string{pick(), pick()}))
				}
			case time.Time:
				if r.Intn(8) != 0 {
					fv.Set(reflect.ValueOf(time.Unix(r.Int63n(4e9), r.Int63n(1e9)).In(zones[r.Intn(len(zones))])))
				}
			default:
				t.Fatalf("Meta.%s: a field of a type this test does not set", v.Type().Field(f).Name)
			}
		}
		want, _ := json.MarshalIndent(plainMeta(m), "", "  ")
		got, err := json.MarshalIndent(m, "", "  ")
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("MarshalIndent (err %v):\n%s\nencoding/json's:\n%s", err, got, want)
		}
	}
	bad := Meta{ID: "x", Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, want := json.Marshal(plainMeta(bad))
	if _, err := json.Marshal(bad); err == nil || want == nil || !strings.HasSuffix(err.Error(), want.Error()) {
		t.Errorf("a year past 9999: error %v, encoding/json's %v", err, want)
	}
}
