package files

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Type is the SourceSpec.type this driver handles.
const Type = "files"

// Config is a files source's settings.
type Config struct {
	Paths   []string `json:"paths"`
	Exclude []string `json:"exclude,omitempty"`
	// OneFileSystem stays on the file system of each path (mount points
	// below it are kept as empty directories).
	OneFileSystem bool `json:"oneFileSystem,omitempty"`
}

// ParseConfig decodes and checks a files source config; unknown fields and
// relative paths are errors naming the field.
func ParseConfig(spec *cofferv1.SourceSpec) (Config, error) {
	var cfg Config
	if spec.GetConfig() == nil {
		return cfg, nil
	}
	raw, err := json.Marshal(spec.GetConfig().AsMap())
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("files source config: %w", err)
	}
	for i, p := range cfg.Paths {
		if !filepath.IsAbs(p) {
			return cfg, fmt.Errorf("files source config: paths[%d] %q must be an absolute path", i, p)
		}
		cfg.Paths[i] = filepath.Clean(p)
	}
	return cfg, nil
}

// Source is a configured files source.
type Source struct {
	name string
	cfg  Config
}

// New is the runner.SourceFactory for files sources.
func New(spec *cofferv1.SourceSpec) (runner.Source, error) {
	cfg, err := ParseConfig(spec)
	if err != nil {
		return nil, err
	}
	name := spec.GetName()
	if name == "" {
		name = Type
	}
	return &Source{name: name, cfg: cfg}, nil
}
