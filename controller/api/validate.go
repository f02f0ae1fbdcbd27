package api

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/catalog"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// checkName checks a user-chosen name: letters, digits, ".", "_", "-".
func checkName(field, name string) error {
	if name == "" {
		return apierr.Invalid(field, "is required")
	}
	if !nameRE.MatchString(name) {
		return apierr.Invalid(field, "%q must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// secretLike are config keys that must go in secrets instead.
var secretLike = []string{"password", "passwd", "secret", "token", "passphrase", "privatekey", "apikey", "secretaccesskey"}

// checkSourceConfig checks a source's type-specific config.
func checkSourceConfig(typ string, cfg map[string]any) error {
	for k := range cfg {
		lk := strings.ToLower(k)
		if slices.Contains(secretLike, lk) || strings.HasSuffix(lk, "password") {
			return apierr.Invalid("config."+k, "looks like a secret: put it in secrets, which are stored encrypted and never returned")
		}
	}
	switch typ {
	case catalog.SourcePostgres:
		return checkPostgresConfig(cfg)
	case catalog.SourceFiles:
	default:
		return nil
	}
	for k := range cfg {
		switch k {
		case "paths", "exclude", "oneFileSystem":
		default:
			return apierr.Invalid("config."+k, "is not a files source setting (paths, exclude, oneFileSystem)")
		}
	}
	paths, ok := cfg["paths"].([]any)
	if !ok || len(paths) == 0 {
		return apierr.Invalid("config.paths", "a files source needs a non-empty list of absolute paths")
	}
	for i, p := range paths {
		s, ok := p.(string)
		if !ok || !filepath.IsAbs(s) {
			return apierr.Invalid(fmt.Sprintf("config.paths[%d]", i), "must be an absolute path, got %v", p)
		}
	}
	if ex, present := cfg["exclude"]; present {
		list, ok := ex.([]any)
		if !ok {
			return apierr.Invalid("config.exclude", "must be a list of glob patterns")
		}
		for i, p := range list {
			s, ok := p.(string)
			if !ok || s == "" {
				return apierr.Invalid(fmt.Sprintf("config.exclude[%d]", i), "must be a non-empty glob pattern")
			}
			if _, err := filepath.Match(s, ""); err != nil {
				return apierr.Invalid(fmt.Sprintf("config.exclude[%d]", i), "bad pattern %q: %v", s, err)
			}
		}
	}
	if v, present := cfg["oneFileSystem"]; present {
		if _, ok := v.(bool); !ok {
			return apierr.Invalid("config.oneFileSystem", "must be true or false")
		}
	}
	return nil
}

// checkPostgresConfig runs the agent's own config check at registration,
// so a source that no agent could run is refused with the field named
// instead of failing at its first backup.
func checkPostgresConfig(cfg map[string]any) error {
	_, err := postgres.DecodeConfig("", cfg)
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "postgres source config: ")
	field := "config"
	if m := jsonFieldRE.FindStringSubmatch(msg); m != nil {
		field += "." + m[1] + m[2]
	} else if word, _, _ := strings.Cut(msg, " "); cfg[word] != nil || slices.Contains(requiredPostgresFields, word) {
		field += "." + word
	}
	return apierr.Invalid(field, "%s", msg)
}

var (
	jsonFieldRE            = regexp.MustCompile(`unknown field "([^"]+)"|Go struct field Config\.(\S+) of type`)
	requiredPostgresFields = []string{"dataDir", "method"}
)
