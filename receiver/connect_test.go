package receiver

import "testing"

func TestConnectAddr(t *testing.T) {
	tests := []struct{ listen, bound, want string }{
		{"127.0.0.1:0", "127.0.0.1:4318", "127.0.0.1:4318"},
		{"0.0.0.0:0", "[::]:4318", "127.0.0.1:4318"},
		{"0.0.0.0:0", "0.0.0.0:4318", "127.0.0.1:4318"},
		{":4318", "[::]:4318", "127.0.0.1:4318"},
		{"[::]:0", "[::]:4318", "[::1]:4318"},
		{"[::1]:0", "[::1]:4318", "[::1]:4318"},
	}
	for _, tt := range tests {
		if got := connectAddr(tt.listen, tt.bound); got != tt.want {
			t.Errorf("connectAddr(%s, %s) = %s, want %s", tt.listen, tt.bound, got, tt.want)
		}
	}
}
