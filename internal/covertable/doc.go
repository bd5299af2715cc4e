// Command covertable prints statement coverage per package from two
// coverage profiles: one from each package's own tests, one from the whole
// suite run with -coverpkg=./... (so that the CLI scripts and the tests of
// other packages count). `make cover` runs it; -min makes it fail when a
// package falls below a target.
//
//	go run ./internal/covertable -own own.out -suite suite.out -min planner=85/90
package main
