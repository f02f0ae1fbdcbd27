package files_test

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cofferhq/coffer/agent/source/files"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

func spec(t testing.TB, cfg map[string]any) *cofferv1.SourceSpec {
	st, err := structpb.NewStruct(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cofferv1.SourceSpec{Name: "docs", Type: files.Type, Config: st}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cfg, err := files.ParseConfig(spec(t, map[string]any{"paths": []any{"/srv/data/", "/etc"}, "exclude": []any{"*.tmp"}}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Paths, ",") != "/srv/data,/etc" || strings.Join(cfg.Exclude, ",") != "*.tmp" {
		t.Fatalf("config %+v", cfg)
	}
}

func TestParseConfigErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"paths": []any{"relative/dir"}}, "paths[0]"},
		{map[string]any{"path": []any{"/srv"}}, `unknown field "path"`},
		{map[string]any{"paths": "/srv"}, "paths"},
		{map[string]any{"paths": []any{"/srv"}, "exclude": []any{1.0}}, "exclude"},
	} {
		_, err := files.ParseConfig(spec(t, tc.cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %v: err = %v, want it to name %q", tc.cfg, err, tc.want)
		}
	}
}

// FuzzParseConfig: source configs arrive from the controller over the
// network; any JSON object must give a config or an error, never a panic,
// and accepted paths are absolute.
func FuzzParseConfig(f *testing.F) {
	f.Add(`{"paths": ["/srv"], "exclude": ["*.tmp"]}`)
	f.Add(`{"paths": []}`)
	f.Add(`{"paths": [1, 2]}`)
	f.Add(`{"exclude": null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var m map[string]any
		if json.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		st, err := structpb.NewStruct(m)
		if err != nil {
			return
		}
		cfg, err := files.ParseConfig(&cofferv1.SourceSpec{Type: files.Type, Config: st})
		if err != nil {
			return
		}
		for _, p := range cfg.Paths {
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("accepted relative path %q", p)
			}
		}
	})
}
