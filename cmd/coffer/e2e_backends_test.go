package main_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/storage/testserver"
	"github.com/cofferhq/coffer/internal/treetest"
)

// A full `coffer repo` round trip on every remote backend, against the real
// servers: init (creating the bucket or container), backup, incremental
// backup, verify --read-data, restore, compare.
func TestRepoOnEveryBackend(t *testing.T) {
	t.Parallel()
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 30, BigFiles: 1, BigSize: 6 << 20, Depth: 3, Seed: 20})
	cases := []struct {
		name  string
		setup func(t *testing.T) (url string, env, flags []string)
	}{
		{"s3", func(t *testing.T) (string, []string, []string) {
			s := testserver.S3(t)
			return fmt.Sprintf("s3://coffer-e2e/repo?endpoint=%s&region=%s", s.Endpoint, s.Region),
				[]string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey}, nil
		}},
		{"azure", func(t *testing.T) (string, []string, []string) {
			s := testserver.Azure(t)
			return "azure://coffer-e2e/repo", []string{"AZURE_STORAGE_CONNECTION_STRING=" + s.ConnectionString()}, nil
		}},
		{"gcs", func(t *testing.T) (string, []string, []string) {
			s := testserver.GCS(t)
			return "gs://coffer-e2e/repo", []string{"STORAGE_EMULATOR_HOST=" + s.Endpoint, "GOOGLE_CLOUD_PROJECT=" + s.ProjectID}, nil
		}},
		{"sftp", func(t *testing.T) (string, []string, []string) {
			s := testserver.SFTP(t)
			return fmt.Sprintf("sftp://%s@%s:%d%s", s.User, s.Host, s.Port, filepath.Join(s.DataDir, "coffer-e2e")),
				nil, []string{"--sftp-key", s.KeyFile, "--sftp-known-hosts", s.KnownHostsFile}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			url, env, extra := c.setup(t)
			flags := append([]string{"--repo", url, "--key-file", filepath.Join(t.TempDir(), "key")}, extra...)
			mustRun(t, env, repoCmd(flags, "init")...)
			mustRun(t, env, repoCmd(flags, "backup", src)...)
			second := mustRun(t, env, repoCmd(flags, "backup", src, "--json")...)
			if !strings.Contains(second.stdout, `"bytesRead":0`) {
				t.Errorf("unchanged re-backup read data: %s", lastLine(second.stdout))
			}
			mustRun(t, env, repoCmd(flags, "verify", "--read-data")...)
			target := t.TempDir()
			mustRun(t, env, repoCmd(flags, "restore", "latest", "--target", target)...)
			treetest.Compare(t, src, filepath.Join(target, src))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
