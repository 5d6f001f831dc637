package config

import "testing"

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsAndOverrides(t *testing.T) {
	c, err := fromLookup(env(map[string]string{"MIEN_HOME": "/h"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelsDir != "/h/models" || c.ORTLib != "/h/lib/libonnxruntime.so.1" || !c.Flip || c.Workers < 1 {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = fromLookup(env(map[string]string{"MIEN_HOME": "/h", "MIEN_MODELS": "/m", "MIEN_WORKERS": "3", "MIEN_FLIP": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelsDir != "/m" || c.Workers != 3 || c.Flip {
		t.Fatalf("overrides: %+v", c)
	}
}

func TestBadValues(t *testing.T) {
	for _, m := range []map[string]string{
		{"MIEN_HOME": "/h", "MIEN_WORKERS": "zero"},
		{"MIEN_HOME": "/h", "MIEN_WORKERS": "-1"},
		{"MIEN_HOME": "/h", "MIEN_FLIP": "maybe"},
	} {
		if _, err := fromLookup(env(m)); err == nil {
			t.Errorf("%v: want an error", m)
		}
	}
}
