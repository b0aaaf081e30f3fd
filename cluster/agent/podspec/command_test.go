package podspec

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestCommand(t *testing.T) {
	t.Parallel()
	entrypoint := []string{"/docker-entrypoint.sh"}
	cmd := []string{"nginx", "-g", "daemon off;"}
	env := []string{"NAME=world", "PORT=8080", "EMPTY="}
	tests := []struct {
		name            string
		command, args   []string
		entrypoint, cmd []string
		want            []string
		wantErr         string
	}{
		{name: "neither: image entrypoint + cmd", entrypoint: entrypoint, cmd: cmd, want: []string{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}},
		{name: "neither, cmd only image", cmd: cmd, want: cmd},
		{name: "args only: entrypoint + args", args: []string{"--port", "$(PORT)"}, entrypoint: entrypoint, cmd: cmd,
			want: []string{"/docker-entrypoint.sh", "--port", "8080"}},
		{name: "args only, no entrypoint", args: []string{"echo", "hi"}, cmd: cmd, want: []string{"echo", "hi"}},
		{name: "command only: image cmd ignored", command: []string{"sh", "-c", "echo $(NAME)"}, entrypoint: entrypoint, cmd: cmd,
			want: []string{"sh", "-c", "echo world"}},
		{name: "command and args", command: []string{"/bin/app"}, args: []string{"$(NAME)", "$$(NAME)", "$(MISSING)", "$(EMPTY)x"},
			entrypoint: entrypoint, cmd: cmd, want: []string{"/bin/app", "world", "$(NAME)", "$(MISSING)", "x"}},
		{name: "image values never expanded", entrypoint: []string{"echo", "$(NAME)"}, want: []string{"echo", "$(NAME)"}},
		{name: "shell dollars kept", command: []string{"sh", "-c", "echo $HOME ${NAME} $$"}, want: []string{"sh", "-c", "echo $HOME ${NAME} $"}},
		{name: "nothing at all", wantErr: "no command specified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &corev1.Container{Command: tt.command, Args: tt.args}
			got, err := Command(c, tt.entrypoint, tt.cmd, env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Command error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Command: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Command = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWorkingDir(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, image, want string }{
		{"/app", "/srv", "/app"},
		{"", "/srv", "/srv"},
		{"", "", "/"},
	}
	for _, tt := range tests {
		if got := WorkingDir(&corev1.Container{WorkingDir: tt.spec}, tt.image); got != tt.want {
			t.Errorf("WorkingDir(%q, %q) = %q, want %q", tt.spec, tt.image, got, tt.want)
		}
	}
}
