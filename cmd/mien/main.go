// Command mien is the face engine, server and tools in one binary.
package main

import (
	"os"

	"github.com/mienhq/mien/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
