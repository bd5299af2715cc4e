package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/remote"
)

var cachePushCmd = &command{
	name:     "cache push",
	synopsis: "upload to the remote cache the answers the lock file records",
	usage:    "[-remote-cache URL]",
	doc: `Upload to the remote cache every answer the lock file records and the local
cache holds, with its manifest (answer first, then manifest; an entry the remote
has already is left as it is). Use it to seed a new remote from a machine that
has paid for the answers.`,
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		return runCacheSync(ctx, e, fs, args, true)
	},
}

var cachePullCmd = &command{
	name:     "cache pull",
	synopsis: "download from the remote cache the answers the lock file records",
	usage:    "[-remote-cache URL]",
	doc: `Download from the remote cache every answer the lock file records that the
local cache lacks, verified as any remote hit is, so that later commands need
neither the remote nor a provider: for example before apply -offline.`,
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		return runCacheSync(ctx, e, fs, args, false)
	},
}

// runCacheSync pushes (or pulls) the entries the lock file records.
func runCacheSync(ctx context.Context, e *env, fs *flag.FlagSet, args []string, push bool) int {
	verb := map[bool]string{true: "push", false: "pull"}[push]
	rf := &remoteFlags{}
	fs.Var(&rf.url, "remote-cache", "the shared cache at `URL`, instead of the remote_cache setting and "+envRemoteCache)
	rf.required = true // a sync without its remote is an error, not a miss
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if !e.noArgs(fs, "cache "+verb) {
		return exitError
	}
	p, ok := e.load(nil)
	if !ok {
		return exitError
	}
	if !e.openRemote(ctx, p, rf, p.store, false) {
		return exitError
	}
	if p.remote == nil {
		fmt.Fprintf(e.stderr, "Error: no remote cache: set remote_cache in the promptbuild block, %s, or -remote-cache\n", envRemoteCache)
		return exitError
	}
	defer p.remote.Close()
	rem := p.remote.Remote()

	hashes := make([]string, 0, len(p.lock.Runs))
	for _, r := range p.lock.Runs {
		if r != nil && r.Hash != "" {
			hashes = append(hashes, r.Hash)
		}
	}
	sort.Strings(hashes)
	var done, present, missing, failed int
	for i, hash := range hashes {
		if ctx.Err() != nil {
			break
		}
		var err error
		var moved, had bool
		if push {
			moved, had, err = pushEntry(ctx, p.store, rem, hash)
		} else {
			moved, had, err = pullEntry(ctx, p, hash)
		}
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(e.stderr, "Warning: %s: %v\n", hash[:12], err)
		case moved:
			done++
		case had:
			present++
		default:
			missing++
		}
		if !e.ci && !e.jsonOut && isTerminal(e.stdout) {
			fmt.Fprintf(e.stdout, "\r\033[K%s: %d of %d", verb, i+1, len(hashes))
		}
	}
	if !e.ci && !e.jsonOut && isTerminal(e.stdout) {
		fmt.Fprint(e.stdout, "\r\033[K")
	}
	where := map[bool]string{true: "not in the local cache", false: "not on the remote"}[push]
	if e.jsonOut {
		_ = json.NewEncoder(e.stdout).Encode(map[string]any{"type": "cache_" + verb, "remote": rem.String(), "moved": done, "present": present, "missing": missing, "failed": failed})
	} else {
		verbed := map[bool]string{true: "pushed", false: "pulled"}[push]
		fmt.Fprintf(e.stdout, "Remote cache %s: %d %s, %d already there, %d %s, %d failed (of %s the lock file records).\n",
			rem, done, verbed, present, missing, where, failed, plural(len(hashes), "answer"))
	}
	if failed > 0 || ctx.Err() != nil {
		return exitError
	}
	return exitOK
}

// pushEntry uploads one recorded answer and its manifest, the answer
// first, unless the remote has the manifest already.
func pushEntry(ctx context.Context, local *cache.Store, rem *remote.Store, hash string) (pushed, present bool, err error) {
	m, err := local.Manifest(ctx, hash)
	if err != nil {
		return false, false, nil // not in the local cache
	}
	blob, err := local.Get(ctx, m.Output)
	if err != nil {
		return false, false, nil
	}
	if has, err := rem.Has(ctx, remote.AC, hash); err != nil {
		return false, false, err
	} else if has {
		return false, true, nil
	}
	raw, err := cache.EncodeManifest(m)
	if err != nil {
		return false, false, err
	}
	if err := rem.Put(ctx, remote.CAS, m.Output, blob); err != nil {
		return false, false, err
	}
	if err := rem.Put(ctx, remote.AC, hash, raw); err != nil {
		return false, false, err
	}
	return true, false, nil
}

// pullEntry copies one recorded answer from the remote into the local
// cache, through the tier, which verifies it.
func pullEntry(ctx context.Context, p *project, hash string) (pulled, present bool, err error) {
	if m, err := p.store.Manifest(ctx, hash); err == nil && p.store.Has(ctx, m.Output) {
		return false, true, nil
	}
	m, err := p.remote.Manifest(ctx, hash)
	if err != nil {
		if err := p.remote.Err(); err != nil {
			return false, false, err
		}
		return false, false, nil // not on the remote
	}
	if _, err := p.remote.Get(ctx, m.Output); err != nil {
		return false, false, err
	}
	return true, false, nil
}
