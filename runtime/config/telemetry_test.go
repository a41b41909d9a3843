package config

import "testing"

// TestMetricsAddrOnStdio: the default metrics address is not used on
// stdio, one set in the file or the environment is.
func TestMetricsAddrOnStdio(t *testing.T) {
	d := Defaults("weather", "1.0.0")
	d.Telemetry.MetricsAddr = DefaultMetricsAddr

	got, err := Load("", testPrefix, d)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Telemetry.ListenAddr("stdio"); a != "" {
		t.Errorf("default on stdio: ListenAddr = %q, want \"\"", a)
	}
	if a := got.Telemetry.ListenAddr("http"); a != DefaultMetricsAddr {
		t.Errorf("default on http: ListenAddr = %q, want %q", a, DefaultMetricsAddr)
	}

	got, err = Load(writeConfig(t, "[telemetry]\nmetrics_addr = \"127.0.0.1:9999\"\n"), testPrefix, d)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Telemetry.ListenAddr("stdio"); a != "127.0.0.1:9999" {
		t.Errorf("file on stdio: ListenAddr = %q, want the file's", a)
	}

	t.Setenv(testPrefix+"_TELEMETRY_METRICS_ADDR", "127.0.0.1:9998")
	got, err = Load("", testPrefix, d)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Telemetry.ListenAddr("stdio"); a != "127.0.0.1:9998" {
		t.Errorf("environment on stdio: ListenAddr = %q, want the environment's", a)
	}
}

func TestValidateMetricsAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"127.0.0.1:9464", true},
		{"0.0.0.0:9464", true},
		{":9464", true},
		{"9464", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1:70000", false},
		{"127.0.0.1:8080", false}, // the MCP port
	} {
		c := Defaults("weather", "1.0.0")
		c.Telemetry.MetricsAddr = tt.addr
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("metrics_addr %q: Validate() = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
}
