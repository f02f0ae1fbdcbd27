package all

import (
	"net/url"
	"strings"
)

// secretParams are query parameters whose values are credentials.
var secretParams = map[string]bool{
	"secret": true, "secret-key": true, "secret_key": true, "secret-access-key": true,
	"password": true, "pass": true, "passphrase": true,
	"key-passphrase": true, "account-key": true, "account_key": true,
	"sas": true, "sig": true, "token": true, "session-token": true,
	"connection-string": true,
}

// Redact returns rawURL with passwords and secret query values replaced by
// "xxxxx", safe to log. A URL that cannot be parsed is reduced to its
// scheme.
func Redact(rawURL string) string {
	if !strings.Contains(rawURL, "://") {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		scheme, _, _ := strings.Cut(rawURL, "://")
		if strings.ContainsAny(scheme, "@:/?") {
			scheme = "unparsable"
		}
		return scheme + "://xxxxx"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			if secretParams[strings.ToLower(name)] {
				q[name] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
