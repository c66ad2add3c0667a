package events

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A span's attributes are read once, into an index by slot: every attribute
// name conventions.go reads has a slot, given once when the package is
// loaded, and a span's attributes are looked up in one pass over them, not
// one linear scan per name a field may come under (a GenAI span is asked
// for some sixty names). The index reads pdata (indexMap) and the protobuf
// of a request (wire.go) alike, so both build events by the same code.

// val is one attribute value as the conventions read it, from a
// pcommon.Value or from the protobuf encoding of an AnyValue.
type val struct {
	typ pcommon.ValueType
	s   string // ValueTypeStr; read from the wire, a view of the request
	n   uint64 // ValueTypeBool (0 or 1), ValueTypeInt (int64), ValueTypeDouble (float64 bits)
	// pv is the value itself, read from pdata: maps, slices and bytes.
	pv pcommon.Value
	// raw is the value's ArrayValue, KeyValueList or bytes, read from the
	// wire.
	raw []byte
	// wire says the value was read from the wire (pv is unset).
	wire bool
}

// valOf reads a pcommon.Value.
func valOf(v pcommon.Value) val {
	switch t := v.Type(); t {
	case pcommon.ValueTypeStr:
		return val{typ: t, s: v.Str()}
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return val{typ: t, n: 1}
		}
		return val{typ: t}
	case pcommon.ValueTypeInt:
		return val{typ: t, n: uint64(v.Int())}
	case pcommon.ValueTypeDouble:
		return val{typ: t, n: math.Float64bits(v.Double())}
	case pcommon.ValueTypeEmpty:
		return val{}
	default:
		return val{typ: t, pv: v}
	}
}

// pdata is the value as a pcommon.Value: the one it was read from, or one
// decoded from the wire for the rare reader of a map, slice or bytes as a
// string.
func (v *val) pdata() pcommon.Value {
	switch v.typ {
	case pcommon.ValueTypeStr:
		return pcommon.NewValueStr(v.s)
	case pcommon.ValueTypeBool:
		return pcommon.NewValueBool(v.n != 0)
	case pcommon.ValueTypeInt:
		return pcommon.NewValueInt(int64(v.n))
	case pcommon.ValueTypeDouble:
		return pcommon.NewValueDouble(math.Float64frombits(v.n))
	case pcommon.ValueTypeEmpty:
		return pcommon.NewValueEmpty()
	}
	if v.wire {
		return wireValue(v.typ, v.raw)
	}
	return v.pv
}

// str is pcommon.Value.AsString.
func (v *val) str() string {
	switch v.typ {
	case pcommon.ValueTypeStr:
		return v.s
	case pcommon.ValueTypeEmpty:
		return ""
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.n != 0)
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(int64(v.n), 10)
	}
	return v.pdata().AsString()
}

// firstElem is a slice's first element; ok is false for an empty slice.
func (v *val) firstElem() (val, bool) {
	if v.wire {
		return wireFirstElem(v.raw)
	}
	s := v.pv.Slice()
	if s.Len() == 0 {
		return val{}, false
	}
	return valOf(s.At(0)), true
}

// number is the value as a number: an int, a double or a string holding
// one.
func (v *val) number() (float64, bool) {
	switch v.typ {
	case pcommon.ValueTypeInt:
		return float64(int64(v.n)), true
	case pcommon.ValueTypeDouble:
		return math.Float64frombits(v.n), true
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil
	}
	return 0, false
}

// lookup is one name a field may come under: an attribute's slot and, for
// "attr#member" names, the member of the JSON object it holds ("attr#" the
// JSON string it holds, MLflow's encoding).
type lookup struct {
	slot   int
	json   bool
	member string
}

// slotTable gives every attribute name the conventions read a slot.
type slotTable struct {
	of map[string]int
	// rules are the bits of the kind rules reading each slot.
	rules []uint64
	// ruleSlot is the slot of each kind rule's attribute.
	ruleSlot []int
	// messageStart holds the first bytes of the indexed message prefixes,
	// message says which slots' names have one.
	messageStart [256]bool
	message      []bool
	// table finds a name's slot: a map, faster than Go's for these names
	// (every attribute of every span is looked up).
	table nameTable
}

// nameTable is an open-addressing hash table of the slot names.
type nameTable struct {
	entries []nameEntry
	mask    uint64
}

type nameEntry struct {
	name string
	slot int32 // -1: empty
}

func newNameTable(of map[string]int) nameTable {
	size := 1
	for size < 4*len(of) {
		size <<= 1
	}
	t := nameTable{entries: make([]nameEntry, size), mask: uint64(size - 1)}
	for i := range t.entries {
		t.entries[i].slot = -1
	}
	for name, s := range of {
		i := nameHash(name) & t.mask
		for t.entries[i].slot >= 0 {
			i = (i + 1) & t.mask
		}
		t.entries[i] = nameEntry{name, int32(s)}
	}
	return t
}

// lookup is the slot of name.
func (t *nameTable) lookup(name string) (int, bool) {
	for i := nameHash(name) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.slot < 0 {
			return 0, false
		}
		if e.name == name {
			return int(e.slot), true
		}
	}
}

// nameHash mixes a name's length and its first, middle and last eight
// bytes: attribute names share long prefixes and suffixes
// (gen_ai.usage.*_tokens), rarely all three.
func nameHash(s string) uint64 {
	n := len(s)
	var a, b, c uint64
	if n >= 8 {
		a = binary.LittleEndian.Uint64([]byte(s[:8]))
		b = binary.LittleEndian.Uint64([]byte(s[n/2-4 : n/2+4]))
		c = binary.LittleEndian.Uint64([]byte(s[n-8:]))
	} else {
		for i := 0; i < n; i++ {
			a = a<<8 | uint64(s[i])
		}
	}
	h := a*0x9e3779b97f4a7c15 ^ b*0xc2b2ae3d27d4eb4f ^ c*0x165667b19e3779f9 ^ uint64(n)
	return h ^ h>>29
}

func (t *slotTable) slot(attr string) int {
	if s, ok := t.of[attr]; ok {
		return s
	}
	s := len(t.of)
	t.of[attr] = s
	t.rules = append(t.rules, 0)
	return s
}

// keys is a list of names a field may come under, first present wins,
// compiled: their lookups, and the mask of their slots, so that a span
// without any of them (most spans, for most fields) is told in one step.
type keys struct {
	l    []lookup
	mask slotMask
}

// slotMask is a set of slots.
type slotMask [maxSlots / 64]uint64

// maxSlots bounds the attribute names conventions.go may read.
const maxSlots = 256

func (m *slotMask) add(s int) { m[s/64] |= 1 << (s % 64) }

func (m *slotMask) meets(o *slotMask) bool {
	return m[0]&o[0] != 0 || m[1]&o[1] != 0 || m[2]&o[2] != 0 || m[3]&o[3] != 0
}

// compile gives each of names its lookup.
func (t *slotTable) compile(names []string) keys {
	k := keys{l: make([]lookup, len(names))}
	for i, n := range names {
		attr, member, isJSON := strings.Cut(n, "#")
		k.l[i] = lookup{slot: t.slot(attr), json: isJSON, member: member}
		k.mask.add(k.l[i].slot)
	}
	return k
}

// spanKeyTable is fieldKeys compiled to lookups, for spans.
type spanKeyTable struct {
	Operation, Provider, Server, RequestModel, ResponseModel keys
	InputTokens, OutputTokens, TotalTokens                   keys
	CacheReadTokens, CacheCreationTokens, ReasoningTokens    keys
	CacheCreation1hTokens, WebSearches                       keys
	Cost, CostParts, UsageMissing                            keys
	Prompt, Completion                                       keys
	ToolName, ToolArguments, ToolResult                      keys
	AgentName, Input, Output                                 keys
	ErrorType                                                keys
	RequestID, ResponseID, ToolCallID, ActionType            keys
	// Capture is agentops.capture; InferenceKind and OperationID name
	// embeddings without an operation.
	Capture, InferenceKind, OperationID keys
}

// compiledSlots builds the slot table and the span keys at first use, not
// when the package is loaded: that took a tenth of a millisecond of every
// start of the CLI, and most (--help, sessions, a child that sends
// nothing) read no span. An attrIndex holds them.
var compiledSlots = sync.OnceValues(compileSlots)

func compileSlots() (*slotTable, *spanKeyTable) {
	t := &slotTable{of: map[string]int{}}
	if len(kindRules) > 64 {
		panic("events: more than 64 kind rules")
	}
	for i, r := range kindRules {
		s := t.slot(r.attr)
		t.rules[s] |= 1 << i
		t.ruleSlot = append(t.ruleSlot, s)
	}
	f, c := fieldKeys, t.compile
	for _, m := range slices.Concat(f.PromptMessages, f.CompletionMessages) {
		t.messageStart[m.prefix[0]] = true
	}
	k := &spanKeyTable{
		Operation: c(f.Operation), Provider: c(f.Provider), Server: c(f.Server),
		RequestModel: c(f.RequestModel), ResponseModel: c(f.ResponseModel),
		InputTokens: c(f.InputTokens), OutputTokens: c(f.OutputTokens), TotalTokens: c(f.TotalTokens),
		CacheReadTokens: c(f.CacheReadTokens), CacheCreationTokens: c(f.CacheCreationTokens),
		ReasoningTokens: c(f.ReasoningTokens), CacheCreation1hTokens: c(f.CacheCreation1hTokens),
		WebSearches: c(f.WebSearches), Cost: c(f.Cost), CostParts: c(f.CostParts),
		UsageMissing: c(f.UsageMissing), Prompt: c(f.Prompt), Completion: c(f.Completion),
		ToolName: c(f.ToolName), ToolArguments: c(f.ToolArguments), ToolResult: c(f.ToolResult),
		AgentName: c(f.AgentName), Input: c(f.Input), Output: c(f.Output), ErrorType: c(f.ErrorType),
		RequestID: c(f.RequestID), ResponseID: c(f.ResponseID), ToolCallID: c(f.ToolCallID),
		ActionType:    c(f.ActionType),
		Capture:       c([]string{"agentops.capture"}),
		InferenceKind: c([]string{"openinference.span.kind"}),
		OperationID:   c([]string{"ai.operationId"}),
	}
	if len(t.of) > maxSlots {
		panic("events: more than maxSlots attribute names")
	}
	t.message = make([]bool, len(t.of))
	for name, s := range t.of {
		t.message[s] = isMessageKey(t, name)
	}
	t.table = newNameTable(t.of)
	return t, k
}

// attrIndex is one span's attributes by slot: the first attribute of each
// name, as pcommon.Map.Get finds it.
type attrIndex struct {
	// t and k are the slot table and the span keys (compiledSlots).
	t    *slotTable
	k    *spanKeyTable
	pos  []int32 // by slot: 1 + the value's index in vals, 0 when absent
	vals []val
	used []int // the slots set, in vals' order
	// present is the set of slots set.
	present slotMask
	// rules are the bits of the kind rules whose attribute the span has.
	rules uint64
	// member is the last JSON member get read.
	member val
	// messages says the span has an attribute named like an indexed
	// message list (gen_ai.prompt.0.role, ...): only then are they
	// gathered.
	messages bool
}

var indexPool = sync.Pool{New: func() any {
	t, k := compiledSlots()
	return &attrIndex{t: t, k: k, pos: make([]int32, len(t.of))}
}}

func getIndex() *attrIndex { return indexPool.Get().(*attrIndex) }

func (x *attrIndex) release() {
	x.reset()
	indexPool.Put(x)
}

// reset empties the index for the next span.
func (x *attrIndex) reset() {
	for _, s := range x.used {
		x.pos[s] = 0
	}
	clear(x.vals) // drop the views of a request's bytes and pdata values
	x.vals, x.used, x.rules, x.messages, x.member = x.vals[:0], x.used[:0], 0, false, val{}
	x.present = slotMask{}
}

// want says whether the attribute key is read, and its slot: the first
// attribute of a name is, a repeat of the name is not.
func (x *attrIndex) want(key string) (int, bool) {
	s, ok := x.t.table.lookup(key)
	if !ok {
		x.messages = x.messages || isMessageKey(x.t, key)
		return 0, false
	}
	x.messages = x.messages || x.t.message[s]
	if x.pos[s] != 0 {
		return 0, false
	}
	return s, true
}

// set puts v in slot s (see want).
func (x *attrIndex) set(s int, v val) { *x.add(s) = v }

// add gives slot s (see want) its value, to be filled in.
func (x *attrIndex) add(s int) *val {
	x.vals = append(x.vals, val{})
	x.used = append(x.used, s)
	x.present.add(s)
	x.pos[s] = int32(len(x.vals))
	x.rules |= x.t.rules[s]
	return &x.vals[len(x.vals)-1]
}

// isMessageKey says whether key may be an indexed message's.
func isMessageKey(t *slotTable, key string) bool {
	if len(key) == 0 || !t.messageStart[key[0]] {
		return false
	}
	for _, lists := range [2][]messageKeys{fieldKeys.PromptMessages, fieldKeys.CompletionMessages} {
		for _, m := range lists {
			if strings.HasPrefix(key, m.prefix) {
				return true
			}
		}
	}
	return false
}

// indexMap indexes a pdata attribute map.
func (x *attrIndex) indexMap(m pcommon.Map) {
	m.Range(func(k string, v pcommon.Value) bool {
		if s, ok := x.want(k); ok {
			x.set(s, valOf(v))
		}
		return true
	})
}

// at is the attribute in slot s, nil when the span has none.
func (x *attrIndex) at(s int) *val {
	p := x.pos[s]
	if p == 0 {
		return nil
	}
	return &x.vals[p-1]
}

// get reads one lookup, a JSON member for "attr#member" names; nil when
// absent. A member read is only good until the next get.
func (x *attrIndex) get(l lookup) *val {
	v := x.at(l.slot)
	if v == nil || !l.json {
		return v
	}
	if l.member == "" {
		s := jsonString(v.str())
		if s == "" {
			return nil
		}
		x.member = val{typ: pcommon.ValueTypeStr, s: s}
		return &x.member
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(v.str()), &obj); err != nil {
		return nil
	}
	switch m := obj[l.member].(type) {
	case string:
		x.member = val{typ: pcommon.ValueTypeStr, s: m}
	case float64:
		x.member = val{typ: pcommon.ValueTypeDouble, n: math.Float64bits(m)}
	default:
		return nil
	}
	return &x.member
}

// str returns the first of k present with a non-empty value.
func (x *attrIndex) str(k keys) string {
	if !x.present.meets(&k.mask) {
		return ""
	}
	for _, l := range k.l {
		if v := x.get(l); v != nil {
			if s := v.str(); s != "" {
				return s
			}
		}
	}
	return ""
}

// firstID returns the first of k present as a non-empty id; an id given
// as a string array (an HTTP header, in HTTP semconv) is its first element.
func (x *attrIndex) firstID(k keys) string {
	if !x.present.meets(&k.mask) {
		return ""
	}
	for _, l := range k.l {
		v := x.at(l.slot)
		if v == nil {
			continue
		}
		if v.typ == pcommon.ValueTypeSlice {
			e, ok := v.firstElem()
			if !ok {
				continue
			}
			v = &e
		}
		if s := strings.TrimSpace(v.str()); s != "" {
			return s
		}
	}
	return ""
}

// integer is integerKey without the key.
func (x *attrIndex) integer(k keys) int64 {
	n, _ := x.integerKey(k)
	return n
}

// integerKey returns the first of k present as a count, and the index in
// k of the one it read (-1 for none). A count that cannot be true is -1,
// as tokenCount says.
func (x *attrIndex) integerKey(k keys) (int64, int) {
	if !x.present.meets(&k.mask) {
		return 0, -1
	}
	for i, l := range k.l {
		if f, ok := x.anyNumber(l); ok {
			return tokenCount(f), i
		}
	}
	return 0, -1
}

// anyNumber reads l as a number, finite or not.
func (x *attrIndex) anyNumber(l lookup) (float64, bool) {
	v := x.get(l)
	if v == nil {
		return 0, false
	}
	return v.number()
}
