package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// parseFlags parses args with fs, accepting flags anywhere among the
// positional arguments, as git, docker and kubectl do:
//
//	mien detect IMG --draw out.png
//	mien library name 1 Kofi Annan --library DIR
//
// A flag's value is the next argument unless the flag is boolean or
// written --flag=value. "--" ends the flags: every argument after it is
// positional (a file named "-x" is given as "-- -x"). A lone "-" (standard
// input) is positional. Unknown flags are errors, as with fs.Parse.
//
// Every command and subcommand parses with parseFlags, never fs.Parse
// (TestEveryCommandAcceptsFlagsAnywhere checks the package's sources).
func parseFlags(fs *flag.FlagSet, args []string) error {
	flags, positional, err := splitFlags(fs, args)
	if err == nil {
		err = fs.Parse(append(append(flags, "--"), positional...))
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return usageError{fmt.Errorf("%s: %w", fs.Name(), err)}
	}
	return err
}

// splitFlags separates flags (with their values) from positional arguments,
// keeping the order within each.
func splitFlags(fs *flag.FlagSet, args []string) (flags, positional []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil || isBoolFlag(f) {
			continue // unknown or boolean: fs.Parse says what is wrong
		}
		if i+1 == len(args) {
			return nil, nil, fmt.Errorf("flag needs an argument: %s", a)
		}
		i++
		flags = append(flags, args[i])
	}
	return flags, positional, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
