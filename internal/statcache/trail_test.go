package statcache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestTrail: a tracking cache lists each name it was asked about,
// with what it found, and the directories on the way; an error other than
// a missing file makes the trail incomplete.
func TestTrail(t *testing.T) {
	f := newFixture(t)
	f.write("docs/a.md", "alpha")
	f.write("docs/b.txt", "beta")
	c := open(f.dir, "", time.Now().Add(time.Hour).UnixNano())
	c.Track()
	for range 2 {
		if _, err := c.Hash("docs/a.md", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Hash("docs/none.md", true); !os.IsNotExist(err) {
		t.Fatalf("Hash of a missing file: %v", err)
	}
	if _, err := c.ReadDirSuffix("docs", ".md"); err != nil {
		t.Fatal(err)
	}
	obs, _, ok := c.Trail()
	if !ok {
		t.Fatal("Trail: not ok")
	}
	var got []string
	for _, o := range obs {
		suffix := ""
		if o.Listing != nil {
			suffix = o.Listing.Suffix
		}
		got = append(got, o.Name+" "+[]string{"", "regular", "absent", "directory", "parent"}[o.Kind]+" "+suffix)
	}
	// In order, and a file asked about twice is there once.
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("trail not sorted, or with a name twice: %q", got)
	}
	want := []string{"docs directory .md", "docs parent ", "docs/a.md regular ", "docs/none.md absent "}
	if !eq(got, want) {
		t.Errorf("trail:\n%q\nwant\n%q", got, want)
	}
	// Only the names with the suffix count in the listing.
	var d [32]byte
	for _, o := range obs {
		if o.Kind == Directory {
			d = o.Listing.Digest
		}
	}
	f.write("docs/c.txt", "gamma")
	entries, err := os.ReadDir(filepath.Join(f.dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	if ListingDigest(entries, ".md") != d {
		t.Error("a file without the suffix changed the listing's digest")
	}
	f.write("docs/c.md", "gamma")
	if entries, _ = os.ReadDir(filepath.Join(f.dir, "docs")); ListingDigest(entries, ".md") == d {
		t.Error("a file with the suffix left the listing's digest as it was")
	}

	if _, err := c.Hash("docs", false); err == nil {
		t.Fatal("Hash of a directory: no error")
	}
	if _, _, ok := c.Trail(); ok {
		t.Error("Trail after an error that is not a missing file: ok")
	}
	if _, _, ok := open(f.dir, "", 1).Trail(); ok {
		t.Error("Trail of a cache that does not track: ok")
	}
}
