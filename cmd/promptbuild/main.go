package main

import (
	"os"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

func main() { os.Exit(cli.Main()) }
