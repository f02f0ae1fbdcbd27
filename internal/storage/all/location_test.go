package all

import (
	"strings"
	"testing"
)

func TestLocationOptionsMapsCredentials(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-process-env")
	t.Setenv("AZURE_STORAGE_ACCOUNT", "process-account")
	o := LocationOptions(
		map[string]string{"region": "eu-west-1", "keyFile": "/k", "knownHosts": "/kh"},
		map[string]string{"accessKeyId": "AKID", "AZURE_STORAGE_KEY": "azkey", "password": "pw", "lowercase-ignored": "x"},
		true)
	for name, want := range map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKID",
		"AWS_SECRET_ACCESS_KEY": "from-process-env", // not given: the environment is the fallback
		"AWS_REGION":            "eu-west-1",
		"AZURE_STORAGE_KEY":     "azkey",
		"AZURE_STORAGE_ACCOUNT": "process-account",
		"lowercase-ignored":     "",
	} {
		if got := o.getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !o.Create || o.SFTPPassword != "pw" || o.SFTPKeyFile != "/k" || o.SFTPKnownHosts != "/kh" {
		t.Errorf("options = %+v", o)
	}
}

func TestLocationLimits(t *testing.T) {
	o := LocationOptions(map[string]string{"uploadBytesPerSecond": "1048576", "downloadBytesPerSecond": "2048", "maxConnections": "4"}, nil, false)
	if o.UploadBPS != 1048576 || o.DownloadBPS != 2048 || o.ConcurrencyLimit != 4 {
		t.Fatalf("limits not applied: %+v", o)
	}
	if _, err := ParseLimits(map[string]string{"uploadBytesPerSecond": "10MB"}); err == nil || !strings.Contains(err.Error(), "uploadBytesPerSecond") {
		t.Fatalf("bad limit accepted or not named: %v", err)
	}
}
