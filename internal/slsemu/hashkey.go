package slsemu

import (
	"fmt"
	"math/big"
	"strings"
)

// Shard hash ranges are [inclusiveBeginKey, exclusiveEndKey) over the 128-bit
// MD5 space written as 32 lowercase hex digits. The last shard's end is
// "ffffffffffffffffffffffffffffffff", as in SLS, and is treated as 2^128.

const maxKey = "ffffffffffffffffffffffffffffffff"

var keySpace = new(big.Int).Lsh(big.NewInt(1), 128)

// normalizeKey lowercases a hash key and pads it on the right to 32 digits.
func normalizeKey(k string) (string, error) {
	k = strings.ToLower(k)
	if k == "" || len(k) > 32 {
		return "", fmt.Errorf("hash key %q must be 1 to 32 hex digits", k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", fmt.Errorf("hash key %q is not hex", k)
		}
	}
	return k + strings.Repeat("0", 32-len(k)), nil
}

func keyToInt(k string) *big.Int {
	if k == maxKey {
		return new(big.Int).Set(keySpace)
	}
	v, _ := new(big.Int).SetString(k, 16)
	if v == nil {
		return new(big.Int)
	}
	return v
}

func intToKey(v *big.Int) string {
	if v.Cmp(keySpace) >= 0 {
		return maxKey
	}
	return fmt.Sprintf("%032x", v)
}

// splitRange returns n+1 boundaries dividing [begin, end) evenly.
func splitRange(begin, end string, n int) []string {
	b, e := keyToInt(begin), keyToInt(end)
	width := new(big.Int).Sub(e, b)
	out := make([]string, n+1)
	for i := 0; i <= n; i++ {
		v := new(big.Int).Mul(width, big.NewInt(int64(i)))
		v.Div(v, big.NewInt(int64(n)))
		v.Add(v, b)
		out[i] = intToKey(v)
	}
	out[n] = end
	return out
}

// keyInRange reports whether key lies in [begin, end); the maximal end key
// includes the maximal key.
func keyInRange(key, begin, end string) bool {
	return key >= begin && (key < end || end == maxKey)
}
