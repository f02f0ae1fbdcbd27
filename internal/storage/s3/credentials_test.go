package s3_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/internal/storage/s3"
)

// These tests set process environment variables, so they do not run in
// parallel with others.

func TestEnvironmentCredentials(t *testing.T) {
	cfg := testConfig(t, "creds")
	t.Setenv("AWS_ACCESS_KEY_ID", cfg.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", cfg.SecretAccessKey)
	cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	roundTripConfig(t, cfg)
}

func TestSharedProfileCredentials(t *testing.T) {
	cfg := testConfig(t, "creds")
	file := filepath.Join(t.TempDir(), "credentials")
	profile := fmt.Sprintf("[coffer-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n", cfg.AccessKeyID, cfg.SecretAccessKey)
	if err := os.WriteFile(file, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	cfg.AccessKeyID, cfg.SecretAccessKey, cfg.Profile = "", "", "coffer-test"
	roundTripConfig(t, cfg)
}

func roundTripConfig(t *testing.T, cfg s3.Config) {
	t.Helper()
	be := newBackend(t, cfg)
	defer be.Close()
	data := []byte("credentials work")
	if err := be.Save(t.Context(), "obj", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Save: %v", err)
	}
	wantContent(t, be, "obj", data)
}
