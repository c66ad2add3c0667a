package pricing

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// referenceSchemas compiles the feed schemas with a general JSON Schema
// validator: our own must agree with it. (It stays out of the program: it
// costs milliseconds at start-up.)
func referenceSchemas(t testing.TB) [2]*jsonschema.Schema {
	t.Helper()
	var out [2]*jsonschema.Schema
	for i, src := range [][]byte{fullSchema, slimSchema} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("feed.schema.json", doc); err != nil {
			t.Fatal(err)
		}
		if out[i], err = c.Compile("feed.schema.json"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func agree(t *testing.T, ref [2]*jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return // not JSON: ours says so too, tested elsewhere
	}
	schemasOnce.Do(compileSchemas)
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	for i := range ref {
		want := ref[i].Validate(inst)
		got := schemas[i].validate(doc)
		if (want == nil) != (got == nil) {
			t.Errorf("schema %d on %.200s: ours says %v, the reference %v", i, doc, got, want)
		}
	}
}

// schemaCases are feeds that pass and fail the schemas in different ways:
// the embedded feed, and variants of a small one (its first two
// providers, three models each), small so that the reference validator
// under -race stays quick.
func schemaCases(t testing.TB) [][]byte {
	var all []map[string]any
	if err := json.Unmarshal(embedded, &all); err != nil {
		t.Fatal(err)
	}
	small := all[:2]
	for _, p := range small {
		p["models"] = p["models"].([]any)[:3]
	}
	smallFeed, _ := json.Marshal(small)
	mutate := func(f func(p map[string]any)) []byte {
		var ps []map[string]any
		json.Unmarshal(smallFeed, &ps)
		f(ps[0])
		b, _ := json.Marshal(ps)
		return b
	}
	model := func(p map[string]any) map[string]any { return p["models"].([]any)[0].(map[string]any) }
	return [][]byte{
		embedded,
		smallFeed,
		mutate(func(p map[string]any) { p["description"] = "x"; p["pricing_urls"] = []string{"https://e.com"} }),
		mutate(func(p map[string]any) { p["surprise"] = 1 }),
		mutate(func(p map[string]any) { delete(p, "api_pattern") }),
		mutate(func(p map[string]any) { p["id"] = 7 }),
		mutate(func(p map[string]any) { model(p)["match"] = map[string]any{"equals": "a", "contains": "b"} }),
		mutate(func(p map[string]any) { model(p)["match"] = map[string]any{"regex": 3} }),
		mutate(func(p map[string]any) { model(p)["prices"] = map[string]any{"input_mtok": "3"} }),
		mutate(func(p map[string]any) { model(p)["prices"] = map[string]any{"input_mtok": map[string]any{"base": 1}} }),
		mutate(func(p map[string]any) {
			model(p)["prices"] = map[string]any{"input_mtok": map[string]any{"base": 1, "tiers": []any{map[string]any{"start": 1.5, "price": 2}}}}
		}),
		mutate(func(p map[string]any) { model(p)["prices"] = map[string]any{"new_thing_mtok": 1} }),
		mutate(func(p map[string]any) {
			model(p)["prices"] = []any{map[string]any{"constraint": map[string]any{"start_date": 5}, "prices": map[string]any{}}}
		}),
		mutate(func(p map[string]any) { model(p)["context_window"] = 1.0 }),
		mutate(func(p map[string]any) { model(p)["id"] = "" }),
		mutate(func(p map[string]any) { model(p)["id"] = strings.Repeat("x", 2000) }),
		mutate(func(p map[string]any) { p["models"] = map[string]any{} }),
		[]byte(`[]`), []byte(`{}`), []byte(`null`), []byte(`[1]`),
	}
}

func TestSchemaAgreesWithReference(t *testing.T) {
	ref := referenceSchemas(t)
	for _, doc := range schemaCases(t) {
		agree(t, ref, doc)
	}
}

// FuzzSchemaAgreesWithReference: on any document, our feed schema check
// and the reference validator agree.
func FuzzSchemaAgreesWithReference(f *testing.F) {
	for _, doc := range schemaCases(f)[1:] {
		if len(doc) < 4096 {
			f.Add(string(doc))
		}
	}
	f.Add(`[{"id":"p","name":"n","api_pattern":"x","models":[{"id":"m","match":{"or":[{"equals":"m"},{"and":[{"starts_with":"a"}]}]},"prices":{"input_mtok":1}}]}]`)
	f.Add(`[{"id":"p","name":"n","api_pattern":"x","models":[{"id":"m","match":{"regex":"^m"},"prices":[{"constraint":{"start_time":"00:30:00Z","end_time":"16:30:00Z"},"prices":{"output_mtok":{"base":1,"tiers":[{"start":200000,"price":2}]}}}]}]}]`)
	ref := referenceSchemas(f)
	f.Fuzz(func(t *testing.T, doc string) {
		agree(t, ref, []byte(doc))
	})
}
