package otlpwire

// AppendJSONString appends s as a JSON string escaped as pdata's JSON
// writer escapes it: quote, backslash and control characters escaped (\n,
// \r, \t, else \u00XX), every other byte as it is. The store's
// spans.jsonl lines and the receiver's OTLP/HTTP JSON answers are written
// with it.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	if !needsEscape(s) {
		// Most strings of a span: copied as they are.
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !escaped[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// escaped are the bytes AppendJSONString escapes: control characters, '"' and
// '\\'.
var escaped = [256]bool{'"': true, '\\': true,
	0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 11: true,
	12: true, 13: true, 14: true, 15: true, 16: true, 17: true, 18: true, 19: true, 20: true, 21: true, 22: true,
	23: true, 24: true, 25: true, 26: true, 27: true, 28: true, 29: true, 30: true, 31: true}

// needsEscape reports whether s has a byte AppendJSONString escapes, eight
// bytes at a time: the last word of a string overlaps the one before.
func needsEscape(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if escaped[s[i]] {
				return true
			}
		}
		return false
	}
	for i := 0; i+8 < len(s); i += 8 {
		if escapes8(load8(s, i)) {
			return true
		}
	}
	return escapes8(load8(s, len(s)-8))
}

// load8 is the eight bytes of s at i as one word (the compiler makes it
// one load).
func load8(s string, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// escapes8 reports whether any byte of w is a control character, '"' or
// '\\': the bytes AppendJSONString escapes. The tests for a byte below n and
// for a zero byte are exact for "any byte" (Hacker's Delight, 6-1).
func escapes8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (w - 0x20*ones) &^ w
	quote := w ^ '"'*ones
	slash := w ^ '\\'*ones
	return (below|(quote-ones)&^quote|(slash-ones)&^slash)&highs != 0
}

const hexDigits = "0123456789abcdef"
