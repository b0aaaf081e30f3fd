package agent

import "testing"

func TestParseDefaultGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, table, want string
		wantErr           bool
	}{
		{
			name: "docker bridge",
			table: "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
				"eth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
				"eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n",
			want: "172.18.0.1",
		},
		{
			name:    "no default route",
			table:   "Iface\tDestination\tGateway\n" + "eth0\t000012AC\t00000000\t0001\n",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseDefaultGateway(tt.table)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseDefaultGateway() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
