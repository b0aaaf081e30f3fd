package views

import "charm.land/lipgloss/v2"

// Health is what a row's colour says.
type Health int

const (
	Neutral     Health = iota
	Good               // running and ready, Normal events
	Progressing        // pending, creating, rolling out
	Bad                // failed, back-off, not ready, Warning events
	Done               // completed, succeeded
	Gone               // terminating
)

// Flash is why a row flashes: it was just added, changed or deleted.
type Flash int

const (
	NoFlash Flash = iota
	FlashAdded
	FlashChanged
	FlashDeleted
)

// Theme is every style the dashboard uses.
type Theme struct {
	Title, Tab, TabActive, Header, Selected, Dim, Banner, Help, Prompt lipgloss.Style
	Health                                                             map[Health]lipgloss.Style
	Flash                                                              map[Flash]lipgloss.Style
}

// NewTheme returns the colour theme, or, with noColor (NO_COLOR set), one
// that keeps only bold and reverse video so nothing depends on colour.
func NewTheme(noColor bool) Theme {
	s := lipgloss.NewStyle
	if noColor {
		return Theme{
			Title: s().Bold(true), Tab: s(), TabActive: s().Bold(true).Reverse(true),
			Header: s().Bold(true), Selected: s().Reverse(true), Dim: s(),
			Banner: s().Bold(true).Reverse(true), Help: s(), Prompt: s().Bold(true),
			Health: map[Health]lipgloss.Style{Bad: s().Bold(true)},
			Flash: map[Flash]lipgloss.Style{
				FlashAdded: s().Italic(true), FlashChanged: s().Italic(true), FlashDeleted: s().Faint(true),
			},
		}
	}
	c := lipgloss.Color
	return Theme{
		Title: s().Bold(true).Foreground(c("6")), Tab: s().Foreground(c("8")),
		TabActive: s().Bold(true).Foreground(c("6")).Reverse(true),
		Header:    s().Bold(true), Selected: s().Reverse(true), Dim: s().Foreground(c("8")),
		Banner: s().Bold(true).Foreground(c("15")).Background(c("1")),
		Help:   s().Foreground(c("8")), Prompt: s().Bold(true).Foreground(c("3")),
		Health: map[Health]lipgloss.Style{
			Good: s().Foreground(c("2")), Progressing: s().Foreground(c("3")),
			Bad: s().Foreground(c("1")), Done: s().Foreground(c("8")), Gone: s().Foreground(c("5")),
		},
		Flash: map[Flash]lipgloss.Style{
			FlashAdded:   s().Bold(true).Foreground(c("0")).Background(c("12")),
			FlashChanged: s().Bold(true).Foreground(c("0")).Background(c("11")),
			FlashDeleted: s().Faint(true).Foreground(c("15")).Background(c("8")),
		},
	}
}
