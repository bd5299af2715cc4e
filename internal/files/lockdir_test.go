package files

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	unlock, err := LockDir(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".promptbuild", "apply.lock")); err != nil {
		t.Fatal(err)
	}

	// Held: a second try fails at once with ErrBusy.
	_, err = LockDir(ctx, dir, false)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second lock: %v, want ErrBusy", err)
	}
	for _, want := range []string{"another promptbuild apply is running in this directory", "wait", "remove anything by hand"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	// Waiting gives up when the context is done.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := LockDir(cctx, dir, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context: %v", err)
	}

	// A waiter gets the lock once it is released.
	got := make(chan error, 1)
	go func() {
		unlock2, err := LockDir(ctx, dir, true)
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	unlock()
	unlock() // harmless
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}

	// Free again.
	unlock, err = LockDir(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// TestLockDirProcess checks the lock against another process: the test
// binary re-executed as a helper that takes the lock and holds it until its
// stdin closes.
func TestLockDirProcess(t *testing.T) {
	if dir := os.Getenv("PROMPTBUILD_LOCKDIR_HELPER"); dir != "" {
		unlock, err := LockDir(context.Background(), dir, false)
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		unlock()
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "-test.run=^TestLockDirProcess$")
	cmd.Env = append(os.Environ(), "PROMPTBUILD_LOCKDIR_HELPER="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if got := string(buf[:n]); got != "locked\n" {
		t.Fatalf("helper said %q", got)
	}

	if _, err := LockDir(context.Background(), dir, false); !errors.Is(err, ErrBusy) {
		t.Errorf("lock held by another process: %v, want ErrBusy", err)
	}
	// Let the helper go; waiting then succeeds.
	stdin.Close()
	unlock, err := LockDir(context.Background(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := cmd.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
}
