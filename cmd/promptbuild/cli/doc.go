// Package cli is promptbuild's command line: [Main] parses the global
// flags, picks a command (init, validate, fmt, plan, apply, graph, show,
// cache, version) and returns the process exit code: 0 success, 1 error,
// 2 pending changes (plan -detailed-exitcode only).
//
// The package wires the others together: it loads the configuration with
// the provider registry's types ([ProviderTypes]), builds the planner's
// graph, and hands the executor the provider blocks in the registry's terms
// ([ProviderBlocks]) with the planner's plan.
package cli
