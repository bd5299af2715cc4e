//go:build !(darwin || linux)

package files

import "os"

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
