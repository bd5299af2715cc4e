package lang

import (
	"path"
	"strings"
)

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

// slashClean returns p cleaned with backslashes read as separators, as
// Windows reads them.
func slashClean(p string) string {
	return path.Clean(strings.ReplaceAll(p, `\`, "/"))
}
