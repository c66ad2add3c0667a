package pricing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonSchema is a compiled JSON Schema (2020-12) for the keywords the
// genai-prices feed schemas use: $defs/$ref, type, properties,
// additionalProperties, required, items, oneOf, anyOf, const, enum,
// minLength, maxLength, pattern; format, title, description and default
// are annotations. A schema using any other keyword does not compile, so
// a feed schema that grows one fails the tests rather than being half
// checked. The general validators (santhosh-tekuri/jsonschema, which the
// tests check this one against) spend milliseconds at program start
// loading their meta-schemas: every `agentops run` would pay that.
type jsonSchema struct {
	boolean *bool // a true or false schema

	ref      string
	target   *jsonSchema
	types    []string
	props    map[string]*jsonSchema
	addl     *jsonSchema
	required []string
	items    *jsonSchema
	oneOf    []*jsonSchema
	anyOf    []*jsonSchema
	hasConst bool
	constant any
	enum     []any
	minLen   int
	maxLen   int
	pattern  *regexp.Regexp
}

var schemaAnnotations = map[string]bool{"title": true, "description": true, "default": true, "format": true, "examples": true, "$schema": true, "$id": true, "$comment": true}

// compileSchema compiles a schema document; $ref may point into its $defs.
func compileSchema(doc []byte) (*jsonSchema, error) {
	var root any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	c := schemaCompiler{defs: map[string]*jsonSchema{}}
	rm, _ := root.(map[string]any)
	if defs, ok := rm["$defs"].(map[string]any); ok {
		for name := range defs {
			c.defs["#/$defs/"+name] = &jsonSchema{}
		}
		for name, d := range defs {
			if err := c.fill(c.defs["#/$defs/"+name], d, "/$defs/"+name); err != nil {
				return nil, err
			}
		}
	}
	s := &jsonSchema{}
	if err := c.fill(s, root, ""); err != nil {
		return nil, err
	}
	return s, nil
}

type schemaCompiler struct{ defs map[string]*jsonSchema }

func (c *schemaCompiler) compile(v any, at string) (*jsonSchema, error) {
	s := &jsonSchema{}
	return s, c.fill(s, v, at)
}

func (c *schemaCompiler) fill(s *jsonSchema, v any, at string) error {
	if b, ok := v.(bool); ok {
		s.boolean = &b
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("schema %s: not an object", at)
	}
	s.minLen, s.maxLen = -1, -1
	for k, val := range m {
		var err error
		switch k {
		case "$defs":
			if at != "" {
				return fmt.Errorf("schema %s: $defs below the root", at)
			}
		case "$ref":
			ref, _ := val.(string)
			if s.target = c.defs[ref]; s.target == nil {
				return fmt.Errorf("schema %s: $ref %q not in $defs", at, val)
			}
			s.ref = ref
		case "type":
			switch t := val.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, x := range t {
					name, _ := x.(string)
					s.types = append(s.types, name)
				}
			}
		case "properties":
			pm, _ := val.(map[string]any)
			s.props = map[string]*jsonSchema{}
			for name, p := range pm {
				if s.props[name], err = c.compile(p, at+"/properties/"+name); err != nil {
					return err
				}
			}
		case "additionalProperties":
			s.addl, err = c.compile(val, at+"/additionalProperties")
		case "required":
			list, _ := val.([]any)
			for _, x := range list {
				name, _ := x.(string)
				s.required = append(s.required, name)
			}
		case "items":
			s.items, err = c.compile(val, at+"/items")
		case "oneOf", "anyOf":
			list, _ := val.([]any)
			var subs []*jsonSchema
			for i, x := range list {
				sub, err := c.compile(x, fmt.Sprintf("%s/%s/%d", at, k, i))
				if err != nil {
					return err
				}
				subs = append(subs, sub)
			}
			if k == "oneOf" {
				s.oneOf = subs
			} else {
				s.anyOf = subs
			}
		case "const":
			s.hasConst, s.constant = true, val
		case "enum":
			s.enum, _ = val.([]any)
		case "minLength", "maxLength":
			n, ok := val.(json.Number)
			i, nerr := strconv.Atoi(string(n))
			if !ok || nerr != nil || i < 0 {
				return fmt.Errorf("schema %s: %s is not a count", at, k)
			}
			if k == "minLength" {
				s.minLen = i
			} else {
				s.maxLen = i
			}
		case "pattern":
			p, _ := val.(string)
			if s.pattern, err = regexp.Compile(p); err != nil {
				return fmt.Errorf("schema %s: pattern: %w", at, err)
			}
		default:
			if !schemaAnnotations[k] {
				return fmt.Errorf("schema %s: keyword %q is not supported", at, k)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// validate checks a JSON document against s, reporting the first
// violation found with its JSON pointer.
func (s *jsonSchema) validate(doc []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("not JSON: more than one value")
	}
	return s.check(v, "")
}

func (s *jsonSchema) check(v any, at string) error {
	if s.boolean != nil {
		if !*s.boolean {
			return fmt.Errorf("at %q: not allowed", at)
		}
		return nil
	}
	if s.target != nil {
		if err := s.target.check(v, at); err != nil {
			return err
		}
	}
	if len(s.types) > 0 && !hasType(v, s.types) {
		return fmt.Errorf("at %q: want %s, got %s", at, strings.Join(s.types, " or "), typeOf(v))
	}
	if s.hasConst && !jsonEqual(v, s.constant) {
		return fmt.Errorf("at %q: want %v", at, s.constant)
	}
	if s.enum != nil {
		found := false
		for _, e := range s.enum {
			found = found || jsonEqual(v, e)
		}
		if !found {
			return fmt.Errorf("at %q: %v is not one of %v", at, v, s.enum)
		}
	}
	if str, ok := v.(string); ok {
		n := utf8.RuneCountInString(str)
		if s.minLen >= 0 && n < s.minLen || s.maxLen >= 0 && n > s.maxLen {
			return fmt.Errorf("at %q: length %d out of bounds", at, n)
		}
		if s.pattern != nil && !s.pattern.MatchString(str) {
			return fmt.Errorf("at %q: %q does not match %s", at, str, s.pattern)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		for _, name := range s.required {
			if _, ok := obj[name]; !ok {
				return fmt.Errorf("at %q: missing %q", at, name)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			val := obj[name]
			sub := s.props[name]
			if sub == nil {
				sub = s.addl
			}
			if sub == nil {
				continue
			}
			if err := sub.check(val, at+"/"+name); err != nil {
				if sub == s.addl && s.addl.boolean != nil {
					return fmt.Errorf("at %q: property %q is not allowed", at, name)
				}
				return err
			}
		}
	}
	if arr, ok := v.([]any); ok && s.items != nil {
		for i, val := range arr {
			if err := s.items.check(val, at+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	if len(s.anyOf) > 0 {
		var first error
		ok := false
		for _, sub := range s.anyOf {
			err := sub.check(v, at)
			if err == nil {
				ok = true
				break
			}
			if first == nil {
				first = err
			}
		}
		if !ok {
			return fmt.Errorf("at %q: matches none of anyOf (first: %v)", at, first)
		}
	}
	if len(s.oneOf) > 0 {
		n := 0
		var first error
		for _, sub := range s.oneOf {
			if err := sub.check(v, at); err == nil {
				n++
			} else if first == nil {
				first = err
			}
		}
		if n != 1 {
			return fmt.Errorf("at %q: matches %d of oneOf, want exactly 1 (first mismatch: %v)", at, n, first)
		}
	}
	return nil
}

func hasType(v any, types []string) bool {
	for _, t := range types {
		switch t {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "null":
			if v == nil {
				return true
			}
		case "number":
			if _, ok := v.(json.Number); ok {
				return true
			}
		case "integer":
			// JSON Schema: a number with a zero fractional part (1.0 too).
			if n, ok := v.(json.Number); ok {
				f, err := n.Float64()
				if err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
					return true
				}
			}
		}
	}
	return false
}

func typeOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case nil:
		return "null"
	}
	return "?"
}

// jsonEqual compares JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	na, aok := a.(json.Number)
	nb, bok := b.(json.Number)
	if aok && bok {
		fa, ea := na.Float64()
		fb, eb := nb.Float64()
		return ea == nil && eb == nil && fa == fb
	}
	return reflect.DeepEqual(a, b)
}
