// Command promptbuild is make for prompts: it plans and applies the prompt
// runs declared in *.pb.hcl files, reusing every answer whose inputs are
// unchanged. main.go only calls cli.Main; the commands live in package
// cli, and the golden CLI scripts run from main_test.go
// (testdata/script/*.txtar at the repository root).
//
// Usage:
//
//	promptbuild [-C DIR] <command> [flags] [args]
//
// See `promptbuild -h` and the README.
package main
