package executor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// reserveIn reserves in a goroutine and delivers the answer.
type reservation struct {
	ok  bool
	err error
}

func reserveIn(ctx context.Context, b *budget, t uint64, est float64) <-chan reservation {
	ch := make(chan reservation, 1)
	go func() {
		_, ok, err := b.reserve(ctx, t, est)
		ch <- reservation{ok, err}
	}()
	return ch
}

// await returns a reservation's answer, failing after a bound.
func await(t *testing.T, ch <-chan reservation) reservation {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("reserve never returned")
		return reservation{}
	}
}

func TestBudgetOrder(t *testing.T) {
	ctx := context.Background()
	b := newBudget(1.0)
	t0, t1, t2 := b.ticket(), b.ticket(), b.ticket()
	// t1 asks first, but waits for t0's decision: t0 (0.6) fits, and
	// would not have fitted beside t1 (0.5).
	later := reserveIn(ctx, b, t1, 0.5)
	booked0, ok, err := b.reserve(ctx, t0, 0.6)
	if !ok || err != nil {
		t.Fatalf("t0: %v, %v; want a reservation", ok, err)
	}
	// t1 does not fit beside t0's bound: it waits for t0 to settle.
	b.settle(booked0, 0.1)
	if r := await(t, later); !r.ok || r.err != nil {
		t.Fatalf("t1 after t0 settled at 0.1: %+v; want a reservation", r)
	}
	// t2 (0.5) does not fit beside t1's 0.5 and the 0.1 spent; t1 settles
	// at 0.5, and with nothing in flight, 0.1 + 0.5 + 0.5 is over: no.
	last := reserveIn(ctx, b, t2, 0.5)
	b.settle(picodollars(0.5, true), 0.5)
	if r := await(t, last); r.ok || r.err != nil {
		t.Fatalf("t2: %+v; want a refusal", r)
	}
}

func TestBudgetPass(t *testing.T) {
	ctx := context.Background()
	b := newBudget(1.0)
	t0, t1 := b.ticket(), b.ticket()
	later := reserveIn(ctx, b, t1, 0.5)
	b.pass(t0) // t0 needed no call
	b.pass(t0) // passing twice is harmless
	if r := await(t, later); !r.ok {
		t.Fatalf("t1 after t0 passed: %+v", r)
	}
	b.pass(t1) // a decided ticket: nothing happens
	if _, ok, _ := b.reserve(ctx, b.ticket(), 0.5); !ok {
		t.Fatal("0.5 beside 0.5 reserved: refused")
	}
}

func TestBudgetCancel(t *testing.T) {
	b := newBudget(1.0)
	t0, t1, t2 := b.ticket(), b.ticket(), b.ticket()
	if _, ok, _ := b.reserve(context.Background(), t0, 0.9); !ok {
		t.Fatal("t0 refused")
	}
	ctx, cancel := context.WithCancel(context.Background())
	waiting := reserveIn(ctx, b, t1, 0.5)
	cancel()
	if r := await(t, waiting); r.ok || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("t1 canceled while waiting: %+v", r)
	}
	// The canceled ticket is decided: t2 is not kept waiting for it.
	if _, ok, err := b.reserve(context.Background(), t2, 0.1); !ok || err != nil {
		t.Fatalf("t2 after t1 was canceled: %v, %v", ok, err)
	}
}
