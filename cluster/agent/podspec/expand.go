package podspec

import "strings"

// Expand replaces $(VAR) references in input using mapping, with the
// kubelet's rules: $$ is an escaped $, a reference that mapping does not
// know is kept as written (mapping decides that, see MappingFor), an
// unterminated $( and a $ followed by anything else are kept verbatim.
func Expand(input string, mapping func(name string) string) string {
	var b strings.Builder
	checkpoint := 0
	for cursor := 0; cursor < len(input); cursor++ {
		if input[cursor] != '$' || cursor+1 >= len(input) {
			continue
		}
		b.WriteString(input[checkpoint:cursor])
		read, isVar, advance := readVariable(input[cursor+1:])
		if isVar {
			b.WriteString(mapping(read))
		} else {
			b.WriteString(read)
		}
		cursor += advance
		checkpoint = cursor + 1
	}
	return b.String() + input[checkpoint:]
}

// readVariable reads what follows a '$': the text to emit (or the variable
// name), whether it is a variable, and how many bytes it consumed.
func readVariable(s string) (string, bool, int) {
	switch s[0] {
	case '$':
		return "$", false, 1
	case '(':
		if i := strings.IndexByte(s[1:], ')'); i >= 0 {
			return s[1 : i+1], true, i + 2
		}
		return "$(", false, 1
	default:
		return "$" + s[:1], false, 1
	}
}

// MappingFor returns a mapping for Expand that looks a name up in each map
// in turn and leaves an unknown reference as $(name).
func MappingFor(vars ...map[string]string) func(string) string {
	return func(name string) string {
		for _, m := range vars {
			if v, ok := m[name]; ok {
				return v
			}
		}
		return "$(" + name + ")"
	}
}

// EnvMap turns NAME=value entries into a map; later entries win.
func EnvMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
