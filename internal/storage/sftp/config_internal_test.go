package sftp

import "testing"

func TestPathForms(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":          ".",
		"~":         ".",
		"~/backups": "backups",
		"/~/a/b/":   "a/b",
		"rel/dir":   "rel/dir",
		"/srv/repo": "/srv/repo",
		"/srv//x/":  "/srv/x",
	} {
		c := Config{Path: in}
		c.withDefaults()
		if c.Path != want {
			t.Errorf("Path %q normalises to %q, want %q", in, c.Path, want)
		}
		b := &Backend{cfg: c}
		if in == "~/backups" && b.Location() != "sftp://@:22/~/backups" {
			t.Errorf("Location() = %q for a home-relative path", b.Location())
		}
	}
}
