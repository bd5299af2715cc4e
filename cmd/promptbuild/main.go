// Command promptbuild is make for prompts: it plans and applies the prompt
// runs declared in *.pb.hcl files. See the README and `promptbuild -h`.
package main

import (
	"os"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

func main() { os.Exit(cli.Main()) }
