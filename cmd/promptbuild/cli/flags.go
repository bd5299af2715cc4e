package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// flagOutput is where a command's flag set writes. While parse runs it
// collects what the flag package writes, so that a usage asked for with -h
// goes to stdout and an error to stderr; otherwise it writes to stderr.
type flagOutput struct {
	e   *env
	buf *bytes.Buffer
}

func (o *flagOutput) Write(p []byte) (int, error) {
	if o.buf != nil {
		return o.buf.Write(p)
	}
	return o.e.stderr.Write(p)
}

// parseFlags is fs.Parse with promptbuild's reporting: -h prints the usage
// on stdout; a bad flag prints "Error: ..." and the usage on stderr.
func parseFlags(fs *flag.FlagSet, args []string) error {
	o, ok := fs.Output().(*flagOutput)
	if !ok {
		return fs.Parse(args)
	}
	var buf bytes.Buffer
	o.buf = &buf
	err := fs.Parse(args)
	o.buf = nil
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = o.e.stdout.Write(buf.Bytes())
	case err != nil:
		fmt.Fprintf(o.e.stderr, "Error: %v\n", err)
		fs.Usage()
	}
	return err
}

// intFlag is a whole number with a lower bound. Unset, it keeps the value
// it was made with and shows no default in the usage: the flag's help says
// what not setting it means.
type intFlag struct {
	n   int
	min int
	set bool
}

func newIntFlag(fs *flag.FlagSet, name string, min int, usage string) *intFlag {
	f := &intFlag{min: min}
	fs.Var(f, name, usage)
	return f
}

func (f *intFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.n)
}

func (f *intFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min {
		return fmt.Errorf("must be a whole number of at least %d", f.min)
	}
	f.n, f.set = n, true
	return nil
}

// durationFlag is a duration that may not be negative.
type durationFlag struct {
	d   time.Duration
	set bool
}

func newDurationFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *durationFlag {
	f := &durationFlag{d: def}
	fs.Var(f, name, usage)
	return f
}

// String writes the duration as it is typed: 168h, 1h30m, 0s.
func (f *durationFlag) String() string {
	if f == nil || f.d == 0 {
		return ""
	}
	s := f.d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 30s, 5m or 1h30m")
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	f.d, f.set = d, true
	return nil
}

// dollarsFlag is an amount of dollars, 0 or more.
type dollarsFlag struct{ usd float64 }

func (f *dollarsFlag) String() string {
	if f == nil || f.usd == 0 {
		return ""
	}
	return strconv.FormatFloat(f.usd, 'f', -1, 64)
}

func (f *dollarsFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("must be a number of dollars, 0 or more")
	}
	f.usd = v
	return nil
}

// days writes a duration for people: "7 days" when it is whole days.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return plural(int(d/day), "day")
	}
	return (&durationFlag{d: d}).String()
}
