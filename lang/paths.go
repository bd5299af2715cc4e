package lang

import (
	"path"
	"strings"
)

// SlashPath returns a path of the configuration in the one form promptbuild
// keeps and records: slash-separated and cleaned, with a backslash read as
// a separator on every system. A project written on Windows (out\a.md)
// then reads the same files, and records the same paths and addresses, on
// Linux and macOS. In a glob a backslash is a separator too, not an
// escape: match a literal * or ? with a class, as in [*]. "" stays "".
func SlashPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(strings.ReplaceAll(p, `\`, "/"))
}
