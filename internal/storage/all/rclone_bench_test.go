package all_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/all"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

// BenchmarkVsRclone uploads and downloads the same files through Coffer's
// backends and through rclone, against the same local servers, and prints
// MB/s and ratios. scripts/bench-storage.sh runs it; COFFER_BENCH_FILES and
// COFFER_BENCH_FILE_MIB size the data (default 32 files of 8 MiB), and
// COFFER_BENCH_TRANSFERS the parallel transfers for both tools (default 4).
func BenchmarkVsRclone(b *testing.B) {
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		b.Fatalf("rclone not found: run scripts/deps/storage-servers.sh")
	}
	files, fileMiB, transfers := envInt("COFFER_BENCH_FILES", 32), envInt("COFFER_BENCH_FILE_MIB", 8), envInt("COFFER_BENCH_TRANSFERS", 4)
	src := b.TempDir()
	for i := range files {
		data := make([]byte, fileMiB<<20)
		rand.Read(data)
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("pack-%03d", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	total := float64(files * fileMiB << 20)

	targets := benchTargets(b)
	var rows []string
	for _, tg := range targets {
		be, err := all.Open(b.Context(), tg.coffer, all.Options{Create: true, Env: tg.env})
		if err != nil {
			b.Fatalf("%s: open: %v", tg.name, err)
		}
		up := timeIt(b, func() error { return cofferUpload(b.Context(), be, src, transfers) })
		down := timeIt(b, func() error { return cofferDownload(b.Context(), be, b.TempDir(), transfers) })
		be.Close()

		rcEnv := append(rcloneBaseEnv(), tg.rclone...)
		remote := "bench:" + tg.rclonePath
		rcUp := timeIt(b, func() error { return runRclone(rclone, rcEnv, "copy", src, remote, transfers) })
		rcDown := timeIt(b, func() error { return runRclone(rclone, rcEnv, "copy", remote, b.TempDir(), transfers) })

		mbps := func(d time.Duration) float64 { return total / d.Seconds() / 1e6 }
		rows = append(rows, fmt.Sprintf("%-6s  %8.1f  %8.1f  %5.2fx  %8.1f  %8.1f  %5.2fx",
			tg.name, mbps(up), mbps(rcUp), rcUp.Seconds()/up.Seconds(),
			mbps(down), mbps(rcDown), rcDown.Seconds()/down.Seconds()))
	}
	fmt.Printf("\n%d files x %d MiB, %d parallel transfers; MB/s (ratio = rclone time / coffer time, >1 means coffer is faster)\n",
		files, fileMiB, transfers)
	fmt.Printf("%-6s  %8s  %8s  %6s  %8s  %8s  %6s\n", "store", "coffer↑", "rclone↑", "ratio", "coffer↓", "rclone↓", "ratio")
	for _, r := range rows {
		fmt.Println(r)
	}
}

type benchTarget struct {
	name       string
	coffer     string              // repository URL for all.Open
	env        func(string) string // its credentials
	rclone     []string            // RCLONE_CONFIG_BENCH_* for the same server
	rclonePath string
}

func benchTargets(b *testing.B) []benchTarget {
	s3 := testserver.S3(b)
	az := testserver.Azure(b)
	gs := testserver.GCS(b)
	sf := testserver.SFTP(b)
	return []benchTarget{
		{
			name:   "s3",
			coffer: "s3://bench/coffer?endpoint=" + url.QueryEscape(s3.Endpoint),
			env:    env("AWS_ACCESS_KEY_ID", s3.AccessKey, "AWS_SECRET_ACCESS_KEY", s3.SecretKey),
			rclone: []string{"RCLONE_CONFIG_BENCH_TYPE=s3", "RCLONE_CONFIG_BENCH_PROVIDER=Other",
				"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=" + s3.AccessKey, "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=" + s3.SecretKey,
				"RCLONE_CONFIG_BENCH_ENDPOINT=" + s3.Endpoint, "RCLONE_CONFIG_BENCH_REGION=" + s3.Region,
				"RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true"},
			rclonePath: "bench/rclone",
		},
		{
			name:   "azure",
			coffer: "azure://bench/coffer",
			env:    env("AZURE_STORAGE_CONNECTION_STRING", az.ConnectionString()),
			// rclone 1.60 takes an endpoint only as a DNS suffix; a container
			// SAS URL is the way to point it at Azurite's port.
			rclone:     []string{"RCLONE_CONFIG_BENCH_TYPE=azureblob", "RCLONE_CONFIG_BENCH_SAS_URL=" + az.Endpoint + "/bench?" + accountSAS(b, az)},
			rclonePath: "bench/rclone",
		},
		{
			name:   "gcs",
			coffer: "gs://bench/coffer",
			env:    env("STORAGE_EMULATOR_HOST", gs.Endpoint, "GOOGLE_CLOUD_PROJECT", gs.ProjectID),
			rclone: []string{"RCLONE_CONFIG_BENCH_TYPE=google cloud storage", "RCLONE_CONFIG_BENCH_ANONYMOUS=true",
				"RCLONE_CONFIG_BENCH_ENDPOINT=" + gs.Endpoint + "/storage/v1/", "RCLONE_CONFIG_BENCH_PROJECT_NUMBER=" + gs.ProjectID},
			rclonePath: "bench/rclone",
		},
		{
			name: "sftp",
			coffer: fmt.Sprintf("sftp://%s@%s:%d%s?key=%s&known_hosts=%s", sf.User, sf.Host, sf.Port,
				filepath.Join(sf.DataDir, "bench-coffer"), url.QueryEscape(sf.KeyFile), url.QueryEscape(sf.KnownHostsFile)),
			env: env(),
			rclone: []string{"RCLONE_CONFIG_BENCH_TYPE=sftp", "RCLONE_CONFIG_BENCH_HOST=" + sf.Host,
				"RCLONE_CONFIG_BENCH_PORT=" + strconv.Itoa(sf.Port), "RCLONE_CONFIG_BENCH_USER=" + sf.User,
				"RCLONE_CONFIG_BENCH_KEY_FILE=" + sf.KeyFile, "RCLONE_CONFIG_BENCH_KNOWN_HOSTS_FILE=" + sf.KnownHostsFile},
			rclonePath: filepath.Join(sf.DataDir, "bench-rclone"),
		},
	}
}

func cofferUpload(ctx context.Context, be storage.Backend, dir string, transfers int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(transfers)
	for _, e := range entries {
		g.Go(func() error {
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			return be.Save(ctx, "data/"+e.Name(), f, fi.Size())
		})
	}
	return g.Wait()
}

func cofferDownload(ctx context.Context, be storage.Backend, dir string, transfers int) error {
	var names []string
	if err := be.List(ctx, "data/", func(oi storage.ObjectInfo) error { names = append(names, oi.Name); return nil }); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(transfers)
	for _, name := range names {
		g.Go(func() error {
			rc, err := be.Open(ctx, name, 0, -1)
			if err != nil {
				return err
			}
			defer rc.Close()
			f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(name, "/", "_")))
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, rc); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	}
	return g.Wait()
}

func runRclone(bin string, env []string, op, from, to string, transfers int) error {
	cmd := exec.Command(bin, op, from, to, "--transfers", strconv.Itoa(transfers), "--config", "/dev/null", "-q")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rclone %s %s %s: %w\n%s", op, from, to, err, out)
	}
	return nil
}

func timeIt(b *testing.B, fn func() error) time.Duration {
	b.Helper()
	start := time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// rcloneBaseEnv is the process environment without AWS_CA_BUNDLE, which
// rclone 1.60's S3 backend cannot combine with its own HTTP transport.
func rcloneBaseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			out = append(out, kv)
		}
	}
	return out
}
