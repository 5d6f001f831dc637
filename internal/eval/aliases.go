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
	// Found and reviewed by eye: the same person under two names.
	"Noer_Muis":            "Noer_Moeis",
	"Dai_Chul_Chyung":      "Chyung_Dai-chul",
	"Sepp_Blatter":         "Joseph_Blatter",
	"Prince_Felipe":        "Felipe_De_Borbon",
	"Glenn_Rivers":         "Doc_Rivers",
	"William_Pryor_Jr":     "Bill_Pryor",
	"Brian_Williams":       "Bison_Dele", // the basketball player, born Brian Williams
	"Wang_Nan":             "Nan_Wang",
	"Talisa_Bratt":         "Talisa_Soto",
	"John_Gruden":          "Jon_Gruden",
	"Cristina_Kirchner":    "Cristina_Fernandez",
	"Virgina_Ruano_Pascal": "Ruano_Pascual",
	"Odai_Hussein":         "Uday_Hussein",
}

// LFWExcluded lists LFW images left out of evaluation and calibration
// because the face at their centre is not the person they are filed under,
// each reviewed by eye: the same photo filed under two names (both copies
// left out, as either label may be the wrong one), or a photo of someone
// else who is also in LFW.
var LFWExcluded = map[string]bool{
	"Bart_Hendricks/Bart_Hendricks_0001.jpg":             true, // = Ricky_Ray_0001
	"Ricky_Ray/Ricky_Ray_0001.jpg":                       true,
	"Carlos_Beltran/Carlos_Beltran_0001.jpg":             true, // = Raul_Ibanez_0001
	"Raul_Ibanez/Raul_Ibanez_0001.jpg":                   true,
	"Emmy_Rossum/Emmy_Rossum_0001.jpg":                   true, // = Eva_Amurri_0001
	"Eva_Amurri/Eva_Amurri_0001.jpg":                     true,
	"Gabrielle_Rose/Gabrielle_Rose_0001.jpg":             true, // = Martha_Bowen_0002
	"Martha_Bowen/Martha_Bowen_0002.jpg":                 true,
	"Andrew_Caldecott/Andrew_Caldecott_0001.jpg":         true, // = Andrew_Gilligan_0001
	"Andrew_Gilligan/Andrew_Gilligan_0001.jpg":           true,
	"Shinya_Taniguchi/Shinya_Taniguchi_0001.jpg":         true, // = Takahiro_Mori_0001
	"Takahiro_Mori/Takahiro_Mori_0001.jpg":               true,
	"Carlos_Ruckauf/Carlos_Ruckauf_0001.jpg":             true, // shows Eduardo Duhalde
	"Recep_Tayyip_Erdogan/Recep_Tayyip_Erdogan_0004.jpg": true, // shows Abdullah Gul
	"Michael_Schumacher/Michael_Schumacher_0008.jpg":     true, // shows Rubens Barrichello
	"Shavon_Earp/Shavon_Earp_0001.jpg":                   true, // shows Diana Taurasi
	"Anja_Paerson/Anja_Paerson_0001.jpg":                 true, // shows Janica Kostelic (Croatian team cap)
	"Mahmoud_Abbas/Mahmoud_Abbas_0012.jpg":               true, // shows Hamad bin Isa al-Khalifa
}

// Exclude returns the records whose paths are not in excluded.
func Exclude(recs []Record, excluded map[string]bool) []Record {
	var out []Record
	for _, r := range recs {
		if !excluded[r.Path] {
			out = append(out, r)
		}
	}
	return out
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
