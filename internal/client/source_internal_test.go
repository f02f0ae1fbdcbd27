package client

import (
	"reflect"
	"testing"
)

func TestSettingValueKeepsTypes(t *testing.T) {
	for in, want := range map[string]any{
		"5432":      float64(5432),
		"true":      true,
		"127.0.0.1": "127.0.0.1",
		"/srv/pg":   "/srv/pg",
		`["a","b"]`: []any{"a", "b"},
		`"quoted"`:  `"quoted"`,
		"null":      "null",
		"logical":   "logical",
		"":          "",
	} {
		if got := settingValue(in); !reflect.DeepEqual(got, want) {
			t.Errorf("settingValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}
