package all

import "testing"

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
