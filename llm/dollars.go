package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DollarDigits is how many decimal places a Dollars value shows: a
// ten-billionth of a dollar, well below the price of one token.
const DollarDigits = 10

// Dollars is an amount of money. Its JSON form is a plain decimal number
// rounded to DollarDigits places, with no trailing zeros: 0.00003255, not
// the float noise 0.000032550000000000005 that a sum of prices leaves.
type Dollars float64

// String writes the amount as MarshalJSON does.
func (d Dollars) String() string {
	s := strconv.FormatFloat(float64(d), 'f', DollarDigits, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// MarshalJSON implements json.Marshaler.
func (d Dollars) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
		return nil, fmt.Errorf("pricing: %v dollars has no JSON form", float64(d))
	}
	return []byte(d.String()), nil
}
