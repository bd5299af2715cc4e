package llm

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

func TestDollarsJSON(t *testing.T) {
	sum := 0.0
	for range 7 {
		sum += Price{Input: 0.15, Output: 0.6}.Cost(7, 6, 0)
	}
	if s := strconv.FormatFloat(sum, 'f', -1, 64); s == "0.00003255" {
		t.Fatalf("the sum %s has no float noise to remove", s)
	}
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{sum, "0.00003255"}, // 0.000032550000000000005 as a float64
		{0.00005354999999999999, "0.00005355"},
		{0.1 + 0.2, "0.3"},
		{0, "0"},
		{-0.0000000000001, "0"},
		{2.5, "2.5"},
		{1234, "1234"},
		{0.00000002, "0.00000002"}, // one token at $0.02 per million
		{0.00000000004, "0"},       // below a ten-billionth
	} {
		got, err := json.Marshal(Dollars(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(Dollars(%v)) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		var back float64
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s does not read back as a number: %v", got, err)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := json.Marshal(Dollars(bad)); err == nil {
			t.Errorf("json.Marshal(Dollars(%v)) succeeded", bad)
		}
	}
}
