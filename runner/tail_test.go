package runner

import (
	"bytes"
	"testing"
)

func TestTail(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		writes []string
		want   string
	}{
		{name: "disabled", size: 0, writes: []string{"abc"}, want: ""},
		{name: "short", size: 8, writes: []string{"ab", "c"}, want: "abc"},
		{name: "exactly full", size: 4, writes: []string{"ab", "cd"}, want: "abcd"},
		{name: "wraps", size: 4, writes: []string{"abc", "def"}, want: "cdef"},
		{name: "wraps twice", size: 4, writes: []string{"abc", "def", "gh", "i"}, want: "fghi"},
		{name: "write larger than the ring", size: 4, writes: []string{"x", "abcdefgh"}, want: "efgh"},
		{name: "drops a cut UTF-8 character", size: 4, writes: []string{"aé", "bcd"}, want: "bcd"},
		{name: "keeps a whole UTF-8 character", size: 5, writes: []string{"aé", "bcd"}, want: "ébcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTail(tt.size)
			for _, w := range tt.writes {
				tl.Write([]byte(w))
			}
			if got := tl.Bytes(); !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("Bytes() = %q, want %q", got, tt.want)
			}
		})
	}
}
