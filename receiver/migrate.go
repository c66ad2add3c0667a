package receiver

import (
	protowire "github.com/agentops-dev/agentops/internal/pbwire"
)

// Field numbers of an Export*ServiceRequest: its resources (1), and in
// each the scope lists (2) and the lists of an OTLP before 0.15 (1000:
// instrumentation_library_spans, _logs, _metrics, laid out as field 2).
const (
	fieldResources      = 1
	fieldScopes         = 2
	fieldDeprecatedList = 1000
)

// migrateDeprecated is an Export*ServiceRequest as pdata's request types
// leave it after decoding (ptraceotlp's otlp.MigrateTraces, and the same
// for logs and metrics), for pdata's ProtoUnmarshalers, which do not: a
// resource's deprecated lists become its scope lists when it has none,
// and are dropped when it has. pdata decodes the lists it drops, and
// refuses the request when one is malformed: dropped is a request of the
// dropped lists alone (as scope lists), for the caller to decode as
// well, nil when none was. The common request without deprecated lists
// is returned as is, after one scan of its resources' fields, and so is
// one pdata would refuse. The scan reads the wire as pdata's decoder does
// (pdataTag, pdataSkip), so that both see the same fields.
func migrateDeprecated(b []byte) (migrated, dropped []byte) {
	if !hasDeprecatedLists(b) {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	for pos := 0; pos < len(b); {
		num, typ, next, ok := pdataTag(b, pos)
		if !ok {
			return b, nil
		}
		if num != fieldResources {
			end, ok := pdataSkip(b, next, typ)
			if !ok {
				return b, nil
			}
			out = append(out, b[pos:end]...)
			pos = end
			continue
		}
		start, end, ok := pdataLen(b, next, typ)
		if !ok {
			return b, nil
		}
		res, drop := migrateResource(b[start:end])
		out = protowire.AppendTag(out, fieldResources, protowire.BytesType)
		out = protowire.AppendBytes(out, res)
		if drop != nil {
			dropped = protowire.AppendTag(dropped, fieldResources, protowire.BytesType)
			dropped = protowire.AppendBytes(dropped, drop)
		}
		pos = end
	}
	return out, dropped
}

// hasDeprecatedLists reports whether a resource of b has field 1000, and
// b is otherwise what pdata decodes.
func hasDeprecatedLists(b []byte) bool {
	found := false
	for pos := 0; pos < len(b); {
		num, typ, next, ok := pdataTag(b, pos)
		if !ok {
			return false
		}
		if num != fieldResources {
			if pos, ok = pdataSkip(b, next, typ); !ok {
				return false
			}
			continue
		}
		start, end, ok := pdataLen(b, next, typ)
		if !ok {
			return false
		}
		_, deprecated, ok := resourceLists(b[start:end])
		if !ok {
			return false
		}
		found = found || deprecated
		pos = end
	}
	return found
}

// resourceLists reports whether a resource has scope lists and
// deprecated ones; ok is false when pdata would refuse it.
func resourceLists(res []byte) (scopes, deprecated, ok bool) {
	for pos := 0; pos < len(res); {
		num, typ, next, ok := pdataTag(res, pos)
		if !ok {
			return false, false, false
		}
		switch num {
		case 1, 3, fieldScopes, fieldDeprecatedList: // resource, schema_url, the lists
			_, end, ok := pdataLen(res, next, typ)
			if !ok {
				return false, false, false
			}
			scopes = scopes || num == fieldScopes
			deprecated = deprecated || num == fieldDeprecatedList
			pos = end
		default:
			if pos, ok = pdataSkip(res, next, typ); !ok {
				return false, false, false
			}
		}
	}
	return scopes, deprecated, true
}

// migrateResource moves a resource's deprecated lists to field 2, or
// drops them when it has lists there: dropped is a resource of those, as
// scope lists.
func migrateResource(res []byte) (migrated, dropped []byte) {
	scopes, deprecated, ok := resourceLists(res)
	if !ok || !deprecated {
		return res, nil
	}
	out := make([]byte, 0, len(res))
	for pos := 0; pos < len(res); {
		// resourceLists has read every field.
		num, typ, next, _ := pdataTag(res, pos)
		var end int
		if num == 1 || num == 3 || num == fieldScopes || num == fieldDeprecatedList {
			_, end, _ = pdataLen(res, next, typ)
		} else {
			end, _ = pdataSkip(res, next, typ)
		}
		if num != fieldDeprecatedList {
			out = append(out, res[pos:end]...)
		} else if !scopes {
			out = protowire.AppendTag(out, fieldScopes, protowire.BytesType)
			out = append(out, res[next:end]...)
		} else {
			dropped = protowire.AppendTag(dropped, fieldScopes, protowire.BytesType)
			dropped = append(dropped, res[next:end]...)
		}
		pos = end
	}
	return out, dropped
}

// Wire types, as pdata's decoder numbers them.
const (
	wireVarint, wireI64, wireLen, wireStartGroup, wireEndGroup, wireI32 = 0, 1, 2, 3, 4, 5
)

// pdataVarint reads a varint at pos as pdata's decoder does.
func pdataVarint(b []byte, pos int) (uint64, int, bool) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if pos >= len(b) {
			return 0, 0, false
		}
		c := b[pos]
		pos++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, pos, true
		}
	}
	return 0, 0, false
}

// pdataTag reads a tag at pos as pdata's decoder does: its field number
// is the low 32 bits of the varint's, and must be positive.
func pdataTag(b []byte, pos int) (num int32, typ int8, next int, ok bool) {
	tag, next, ok := pdataVarint(b, pos)
	if !ok || int32(tag>>3) <= 0 {
		return 0, 0, 0, false
	}
	return int32(tag >> 3), int8(tag & 7), next, true
}

// pdataLen reads a length-delimited value at pos; a field pdata knows
// with another wire type is refused.
func pdataLen(b []byte, pos int, typ int8) (start, end int, ok bool) {
	if typ != wireLen {
		return 0, 0, false
	}
	n, start, ok := pdataVarint(b, pos)
	if !ok || int(n) < 0 || start+int(n) < 0 || start+int(n) > len(b) {
		return 0, 0, false
	}
	return start, start + int(n), true
}

// pdataSkip skips an unknown field's value at pos as pdata's decoder
// does (proto.ConsumeUnknown), groups included: a start-group tag is
// skipped with the field after it.
func pdataSkip(b []byte, pos int, typ int8) (int, bool) {
	depth := 0
	for pos < len(b) {
		var ok bool
		switch typ {
		case wireVarint:
			_, pos, ok = pdataVarint(b, pos)
			return pos, ok
		case wireI64:
			return pos + 8, pos+8 <= len(b)
		case wireLen:
			_, end, ok := pdataLen(b, pos, typ)
			return end, ok
		case wireI32:
			return pos + 4, pos+4 <= len(b)
		case wireStartGroup:
			depth++
		case wireEndGroup:
			if depth == 0 {
				return 0, false
			}
			depth--
		default:
			return 0, false
		}
		if depth == 0 {
			return pos, true
		}
		if _, typ, pos, ok = pdataTag(b, pos); !ok {
			return 0, false
		}
	}
	return 0, false
}
