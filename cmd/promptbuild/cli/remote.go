package cli

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"strconv"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/remote"
	"github.com/promptbuild/promptbuild/cache/tier"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// envRemoteCache overrides the remote_cache setting; -remote-cache
// overrides both.
const envRemoteCache = "PROMPTBUILD_REMOTE_CACHE"

// answerStore is the cache that plans and applies read and write: the
// local store, or the local store in front of a remote one.
type answerStore interface {
	planner.Store
	executor.Store
}

// remoteFlags are the flags of the commands that read the cache.
type remoteFlags struct {
	url      stringFlag
	upload   boolFlag
	required bool
}

// newRemoteFlags registers -remote-cache and -remote-required, and, for a
// command that writes the cache (writes), -remote-upload.
func newRemoteFlags(fs *flag.FlagSet, writes bool) *remoteFlags {
	f := &remoteFlags{}
	fs.Var(&f.url, "remote-cache", "use the shared cache at `URL` (s3://, azblob://, file:// or http(s)://; \"\" for none), instead of the remote_cache setting and "+envRemoteCache)
	if writes {
		f.upload.v = true
		fs.Var(&f.upload, "remote-upload", "upload new answers to the remote cache (default: the remote_cache_upload setting, else true)")
	}
	fs.BoolVar(&f.required, "remote-required", false, "fail when the remote cache cannot be reached, instead of going on without it")
	return f
}

// stringFlag is a string that knows whether it was set.
type stringFlag struct {
	v   string
	set bool
}

func (f *stringFlag) String() string {
	if f == nil {
		return ""
	}
	return f.v
}

func (f *stringFlag) Set(s string) error { f.v, f.set = s, true; return nil }

// boolFlag is a boolean that knows whether it was set.
type boolFlag struct {
	v   bool
	set bool
}

func (f *boolFlag) String() string {
	if f == nil {
		return "false"
	}
	return strconv.FormatBool(f.v)
}

func (f *boolFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	f.v, f.set = v, true
	return nil
}

func (f *boolFlag) IsBoolFlag() bool { return true }

// openRemote puts the remote cache, when one is configured, in front of
// the project's local store (p.answers). upload is whether the command
// writes the remote (the setting and -remote-upload may still turn it
// off). It returns false after printing an error.
func (e *env) openRemote(ctx context.Context, p *project, f *remoteFlags, local *cache.Store, upload bool) bool {
	p.answers = local
	set := p.cfg.Settings
	url, rng, from := set.RemoteCache, set.RemoteCacheRange, ""
	if v := e.getenv(envRemoteCache); v != "" {
		url, rng, from = v, hcl.Range{}, envRemoteCache
	}
	if f.url.set {
		url, rng, from = f.url.v, hcl.Range{}, "-remote-cache"
	}
	if url == "" {
		return true
	}
	if diags := lang.CheckRemoteCacheURL(url, rng); diags.HasErrors() {
		if from != "" {
			for _, d := range diags {
				d.Detail += fmt.Sprintf(" The URL comes from %s.", from)
			}
		}
		e.printDiags(p.cfg, diags)
		return false
	}
	var keys []ed25519.PublicKey
	for _, k := range set.RemoteCacheKeys {
		pub, err := remote.ParsePublicKey(k)
		if err != nil {
			e.printError(p.cfg, fmt.Errorf("remote_cache_keys: %w", err))
			return false
		}
		keys = append(keys, pub)
	}
	rem, err := remote.Open(ctx, url, remote.Options{Required: f.required, TrustedKeys: keys, Getenv: e.getenv})
	if err != nil {
		e.printError(p.cfg, err)
		return false
	}
	if f.required {
		// Asked once before anything else, so that a required remote
		// that cannot be reached stops the command before it starts.
		if _, err := rem.Has(ctx, remote.CAS, cache.Digest(nil)); err != nil {
			rem.Close()
			e.printError(p.cfg, err)
			return false
		}
	}
	wants := set.RemoteCacheUpload
	if f.upload.set {
		wants = f.upload.v
	}
	upload = upload && wants
	var mu sync.Mutex
	p.remote = tier.New(local, rem, tier.Options{Upload: upload, Warn: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(e.stderr, "Warning: %v\n  Taken as a cache miss: the command goes on with the local cache and the providers. Other remote cache problems of this command are not shown.\n", err)
	}})
	p.answers = p.remote
	return true
}

// remoteErr returns the error of a required remote cache that failed
// while the command read it, or nil.
func (p *project) remoteErr() error {
	if p.remote == nil {
		return nil
	}
	return p.remote.Err()
}

// finishRemote waits for the uploads to the remote cache and says how
// many were stored and how many failed. It returns false when a required
// remote failed (said on stderr).
func (e *env) finishRemote(ctx context.Context, p *project) bool {
	if p.remote == nil {
		return true
	}
	defer p.remote.Close()
	st, err := p.remote.Wait(ctx)
	if n := st.Stored + st.Failed + st.Dropped; n > 0 {
		out := e.stdout
		if e.jsonOut {
			out = e.stderr
		}
		entries := "entries"
		if st.Stored == 1 {
			entries = "entry"
		}
		fmt.Fprintf(out, "Remote cache %s: %d %s uploaded, %d failed.\n", p.remote.Remote(), st.Stored, entries, st.Failed+st.Dropped)
	}
	if err == nil {
		err = p.remote.Err()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "Error: %v\n", err)
		return false
	}
	return true
}
