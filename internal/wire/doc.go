// Package wire is the framing shared by promptbuild's binary state files
// under .promptbuild (the stat cache, the lock file's index, the stamps):
// a magic string that names the format and its version, fields as varints
// and length-prefixed strings, and a CRC-32C of everything before it at
// the end. A file that does not check out is not an error to report: its
// reader treats it as missing.
package wire
