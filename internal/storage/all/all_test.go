package all_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/all"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// env builds an Options.Env from pairs, ignoring the process environment.
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// roundTrip saves, reads back, lists and removes one object.
func roundTrip(t *testing.T, be storage.Backend) {
	t.Helper()
	ctx := t.Context()
	data := []byte("hello from " + t.Name())
	if err := be.Save(ctx, "dir/obj", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Save: %v", err)
	}
	rc, err := be.Open(ctx, "dir/obj", 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v; want %q", got, err, data)
	}
	var names []string
	if err := be.List(ctx, "dir/", func(oi storage.ObjectInfo) error { names = append(names, oi.Name); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(names) != 1 || names[0] != "dir/obj" {
		t.Fatalf("List = %v, want [dir/obj]", names)
	}
	if err := be.Remove(ctx, "dir/obj"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
}

func open(t *testing.T, rawURL string, opts all.Options) storage.Backend {
	t.Helper()
	be, err := all.Open(t.Context(), rawURL, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", all.Redact(rawURL), err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func noSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s %q shows a secret", what, text)
		}
	}
}

func TestOpenLocalAndMem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	roundTrip(t, open(t, filepath.Join(dir, "plain"), all.Options{Create: true}))
	roundTrip(t, open(t, "file://"+filepath.Join(dir, "url"), all.Options{Create: true}))
	roundTrip(t, open(t, "mem://", all.Options{}))
	if _, err := all.Open(t.Context(), filepath.Join(dir, "missing"), all.Options{}); err == nil {
		t.Error("opening a missing directory without Create succeeded")
	}
}

func TestOpenS3(t *testing.T) {
	t.Parallel()
	srv := testserver.S3(t)
	rawURL := "s3://allbucket/repo/one?endpoint=" + url.QueryEscape(srv.Endpoint) + "&region=" + srv.Region
	opts := all.Options{Create: true, Env: env("AWS_ACCESS_KEY_ID", srv.AccessKey, "AWS_SECRET_ACCESS_KEY", srv.SecretKey)}
	be := open(t, rawURL, opts)
	roundTrip(t, be)
	noSecret(t, "Location()", be.Location(), srv.SecretKey)

	// Keys in the URL work too, and never reach Location or Redact.
	withKeys := strings.Replace(rawURL, "s3://", "s3://"+srv.AccessKey+":"+srv.SecretKey+"@", 1)
	be = open(t, withKeys, all.Options{Env: env()})
	roundTrip(t, be)
	noSecret(t, "Location()", be.Location(), srv.SecretKey)
	noSecret(t, "Redact", all.Redact(withKeys), srv.SecretKey)

	// Wrong credentials: a permanent error that names no secret.
	_, err := all.Open(t.Context(), rawURL, all.Options{Env: env("AWS_ACCESS_KEY_ID", srv.AccessKey, "AWS_SECRET_ACCESS_KEY", "wrong-secret")})
	if err == nil || !storage.IsPermanent(err) {
		t.Fatalf("Open with a wrong secret = %v, want a permanent error", err)
	}
	noSecret(t, "error", err.Error(), "wrong-secret")

	// Without Create a missing bucket is a clear permanent error.
	opts.Create = false
	_, err = all.Open(t.Context(), "s3://no-such-bucket?endpoint="+url.QueryEscape(srv.Endpoint), opts)
	if err == nil || !storage.IsPermanent(err) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("Open of a missing bucket = %v, want a permanent error naming it", err)
	}
}

func TestOpenAzure(t *testing.T) {
	t.Parallel()
	srv := testserver.Azure(t)
	rawURL := "azure://allcontainer/repo"
	be := open(t, rawURL, all.Options{Create: true, Env: env("AZURE_STORAGE_CONNECTION_STRING", srv.ConnectionString())})
	roundTrip(t, be)
	noSecret(t, "Location()", be.Location(), srv.AccountKey)

	keyURL := rawURL + "?endpoint=" + url.QueryEscape(srv.Endpoint)
	be = open(t, keyURL, all.Options{Env: env("AZURE_STORAGE_ACCOUNT", srv.AccountName, "AZURE_STORAGE_KEY", srv.AccountKey)})
	roundTrip(t, be)

	token := accountSAS(t, srv)
	be = open(t, keyURL, all.Options{Env: env("AZURE_STORAGE_ACCOUNT", srv.AccountName, "AZURE_STORAGE_SAS_TOKEN", token)})
	roundTrip(t, be)
	sasURL := keyURL + "&sas=" + url.QueryEscape(token)
	be = open(t, sasURL, all.Options{Env: env("AZURE_STORAGE_ACCOUNT", srv.AccountName)})
	roundTrip(t, be)
	sig := url.Values{}
	if v, err := url.ParseQuery(token); err == nil {
		sig = v
	}
	noSecret(t, "Location()", be.Location(), sig.Get("sig"))
	noSecret(t, "Redact", all.Redact(sasURL), sig.Get("sig"), url.QueryEscape(sig.Get("sig")))

	// A wrong key is permanent and not echoed.
	wrongKey := "d3JvbmcgYWNjb3VudCBrZXkgZm9yIHRlc3Rpbmc="
	_, err := all.Open(t.Context(), keyURL, all.Options{Env: env("AZURE_STORAGE_ACCOUNT", srv.AccountName, "AZURE_STORAGE_KEY", wrongKey)})
	if err == nil || !storage.IsPermanent(err) {
		t.Fatalf("Open with a wrong key = %v, want a permanent error", err)
	}
	noSecret(t, "error", err.Error(), wrongKey)
}

// accountSAS signs an account SAS for the test's Azurite.
func accountSAS(t testing.TB, srv *testserver.AzureServer) string {
	cred, err := azblob.NewSharedKeyCredential(srv.AccountName, srv.AccountKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := service.NewClientWithSharedKeyCredential(srv.Endpoint, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	sasURL, err := client.GetSASURL(
		sas.AccountResourceTypes{Service: true, Container: true, Object: true},
		sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Create: true, Add: true},
		time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(sasURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.RawQuery
}

func TestOpenGCS(t *testing.T) {
	t.Parallel()
	srv := testserver.GCS(t)
	be := open(t, "gs://allbucket/repo", all.Options{Create: true, Env: env("STORAGE_EMULATOR_HOST", srv.Endpoint, "GOOGLE_CLOUD_PROJECT", srv.ProjectID)})
	roundTrip(t, be)
	be = open(t, "gs://allbucket/repo?endpoint="+url.QueryEscape(srv.Endpoint), all.Options{Env: env()})
	roundTrip(t, be)
}

func TestOpenSFTP(t *testing.T) {
	t.Parallel()
	srv := testserver.SFTP(t)
	dir := filepath.Join(srv.DataDir, "all")
	rawURL := fmt.Sprintf("sftp://%s@%s:%d%s?key=%s&known_hosts=%s", srv.User, srv.Host, srv.Port, dir,
		url.QueryEscape(srv.KeyFile), url.QueryEscape(srv.KnownHostsFile))
	be := open(t, rawURL, all.Options{Create: true})
	roundTrip(t, be)
	if want := fmt.Sprintf("sftp://%s@%s:%d%s", srv.User, srv.Host, srv.Port, dir); be.Location() != want {
		t.Errorf("Location() = %q, want %q", be.Location(), want)
	}
	// Options override the URL's query.
	bare := fmt.Sprintf("sftp://%s@%s:%d%s", srv.User, srv.Host, srv.Port, dir)
	roundTrip(t, open(t, bare, all.Options{SFTPKeyFile: srv.KeyFile, SFTPKnownHosts: srv.KnownHostsFile}))
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, want string }{
		{"foo://bucket", `unknown storage scheme "foo": want one of file, s3, azure, gs, sftp, mem`},
		{"s3://bucket/p?regoin=eu-west-1", `unknown s3 URL option "regoin"`},
		{"s3:///prefix", "no bucket name"},
		{"azure://", "no container name"},
		{"sftp:///path", "no host"},
		{"s3://bucket?part-size=lots", `part-size="lots"`},
		{"", "empty"},
		{"file://remote.example/x", "only local paths"},
	}
	for _, c := range cases {
		_, err := all.Open(context.Background(), c.url, all.Options{Env: env()})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", c.url, err, c.want)
		}
	}
}
