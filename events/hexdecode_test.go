package events

import (
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// hexIDs and decodeLowerHex are encoding/hex's decoding, by table: the
// same answers for any string, upper-case digits and all.
func FuzzHexDecoding(f *testing.F) {
	for _, s := range []string{"0123456789abcdef", "0123456789ABCDEF", "0123456789abcdeF", "0123456789abcdeg",
		"", "00", "ffffffffffffffff", "0123456789abcdef0123456789abcdef", "0123456789abcde\x00", "é123456789abcde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b [8]byte
		want := uint64(0)
		if len(s) == 16 {
			if _, err := hex.Decode(b[:], []byte(s)); err == nil {
				want = binary.BigEndian.Uint64(b[:])
			}
		}
		if got := hexID(s); got != want {
			t.Fatalf("hexID(%q) = %x, encoding/hex: %x", s, got, want)
		}
		if len(s)%2 != 0 {
			return
		}
		raw, err := hex.DecodeString(s)
		lower := err == nil && hex.EncodeToString(raw) == s
		dst := make([]byte, len(s)/2)
		if ok := decodeLowerHex(dst, s); ok != lower || ok && string(dst) != string(raw) {
			t.Fatalf("decodeLowerHex(%q) = %x, %v; encoding/hex: %x (lower-case: %v)", s, dst, ok, raw, lower)
		}
	})
}
