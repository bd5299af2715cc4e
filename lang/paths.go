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

// windowsRooted reports whether Windows reads p as rooted or on another
// drive, whatever the system promptbuild runs on: a drive letter ("C:/x",
// "c:x", "C:"), a UNC or device path ("//server/share", `\\server\share`,
// `\\?\C:\x`), or a path from the root of the current drive ("/x", `\x`).
func windowsRooted(p string) bool {
	if len(p) >= 2 && p[1] == ':' && ('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z') {
		return true
	}
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`)
}
