// Package cli is promptbuild's command line: [Main] parses the global
// flags, picks a command (init, validate, fmt, plan, apply, graph, show,
// cache, version) and returns the process exit code: 0 success, 1 error,
// 2 pending changes (plan -detailed-exitcode only).
package cli
