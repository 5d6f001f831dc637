package eval

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// LFWAliases maps LFW directory names to the name the same person also
// appears under, so both count as one identity in open-set evaluation and
// calibration (a pair of them is not an impostor pair). The first four are
// named in issue 15; the others were found by `mien eval calibrate`'s list
// of the highest-scoring pairs of different names, each reviewed by eye
// (docs/benchmarks.md, "Open-set identification").
var LFWAliases = map[string]string{
	"Yingfan_Wang":                   "Wang_Yingfan",
	"Sung_Hong_Choi":                 "Choi_Sung-hong",
	"Hasan_Wirayuda":                 "Hassan_Wirajuda",
	"Mireya_Elisa_Moscoso_Rodriguez": "Mireya_Moscoso",
}

// Identities maps a record to its identity: its directory name, through
// aliases (nil for none).
func Identities(aliases map[string]string) func(Record) string {
	return func(r Record) string {
		id := r.Identity()
		if a, ok := aliases[id]; ok {
			return a
		}
		return id
	}
}

// ParseAliases reads extra aliases, one `NAME CANONICAL` pair a line (#
// starts a comment), onto a copy of base.
func ParseAliases(r io.Reader, base map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(base))
	for k, v := range base {
		out[k] = v
	}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		switch len(f) {
		case 0:
			continue
		case 2:
			out[f[0]] = f[1]
		default:
			return nil, fmt.Errorf("eval: aliases line %d: want NAME CANONICAL, got %q", line, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: reading aliases: %w", err)
	}
	return out, nil
}
