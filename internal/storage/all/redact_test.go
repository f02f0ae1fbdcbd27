package all_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/storage/all"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"/srv/backups", "/srv/backups"},
		{"s3://bucket/p?endpoint=http%3A%2F%2F127.0.0.1%3A9000", "s3://bucket/p?endpoint=http%3A%2F%2F127.0.0.1%3A9000"},
		{"s3://AKIAEXAMPLE:s3cr3t@bucket/p", "s3://AKIAEXAMPLE:xxxxx@bucket/p"},
		{"sftp://backup:hunter2@host:2222/srv", "sftp://backup:xxxxx@host:2222/srv"},
		{"sftp://backup@host/srv?key=%2Froot%2F.ssh%2Fid", "sftp://backup@host/srv?key=%2Froot%2F.ssh%2Fid"},
		{"azure://c/p?sas=sv%3D2020%26sig%3Dabc&account=a", "azure://c/p?account=a&sas=xxxxx"},
		{"azure://c/p?sig=abc", "azure://c/p?sig=xxxxx"},
		{"s3://b%zz:secret@x", "s3://xxxxx"},
	}
	for _, c := range cases {
		if got := all.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRedact checks that a password placed in a URL's user info or in a
// secret query parameter never survives redaction.
func FuzzRedact(f *testing.F) {
	f.Add("s3", "bucket", "prefix", "user", "p4ssw0rd!")
	f.Add("sftp", "host:22", "/srv", "me", "x y@z%41")
	f.Fuzz(func(t *testing.T, scheme, host, path, user, secret string) {
		u := url.URL{Scheme: "s" + strings.Trim(scheme, ":/?#@% "), Host: host, Path: path, User: url.UserPassword(user, secret)}
		u.RawQuery = url.Values{"sas": {secret}, "secret": {secret}}.Encode()
		raw := u.String()
		got := all.Redact(raw)
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret),
			strings.TrimPrefix(url.UserPassword("", secret).String(), ":")}
		// The public parts of the URL, where a short or odd secret may
		// legitimately occur as well.
		public := strings.Join([]string{u.Scheme, u.Host, u.EscapedPath(), u.User.Username(),
			url.PathEscape(user), "sas=xxxxx&secret=xxxxx", "://:@/?#"}, " ")
		for _, form := range forms {
			if len(form) < 4 || strings.Contains(public, form) {
				continue
			}
			if strings.Contains(got, form) {
				t.Fatalf("Redact(%q) = %q still shows the secret as %q", raw, got, form)
			}
		}
	})
}
