package views

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// WideWidth is the terminal width from which Wide columns show.
const WideWidth = 120

// Column is one column of a view.
type Column struct {
	Title string
	Width int  // the width it gets (the least, for Flex columns)
	Flex  int  // share of the width left over; 0: fixed
	Wide  bool // only in wide terminals
	Right bool // right-aligned (numbers)
}

// Row is one object's cells (one per column, wide ones included) and the
// health that colours it.
type Row struct {
	Cells  []string
	Health Health
}

// Table is the columns chosen for a width, with their widths.
type Table struct {
	cols   []int // indexes into the columns
	widths []int
	Cols   []Column
}

// Layout fits cols to width: wide columns only from WideWidth on, flex
// columns share what is left; columns that do not fit are dropped from the
// right.
func Layout(cols []Column, width int) Table {
	t := Table{Cols: cols}
	used := 0
	for i, c := range cols {
		if c.Wide && width < WideWidth {
			continue
		}
		need := c.Width
		if len(t.cols) > 0 {
			need++ // the space between columns
		}
		if used+need > width {
			break
		}
		used += need
		t.cols = append(t.cols, i)
		t.widths = append(t.widths, c.Width)
	}
	flex := 0
	for _, i := range t.cols {
		flex += cols[i].Flex
	}
	if left := width - used; flex > 0 && left > 0 {
		given := 0
		last := -1
		for j, i := range t.cols {
			if f := cols[i].Flex; f > 0 {
				add := left * f / flex
				t.widths[j] += add
				given += add
				last = j
			}
		}
		t.widths[last] += left - given
	}
	return t
}

// Header renders the title line.
func (t Table) Header() string {
	cells := make([]string, len(t.cols))
	for j, i := range t.cols {
		cells[j] = t.Cols[i].Title
	}
	return t.line(cells)
}

// Line renders a row's cells, padded and truncated to the layout.
func (t Table) Line(r Row) string {
	cells := make([]string, len(t.cols))
	for j, i := range t.cols {
		if i < len(r.Cells) {
			cells[j] = r.Cells[i]
		}
	}
	return t.line(cells)
}

func (t Table) line(cells []string) string {
	var b strings.Builder
	for j, c := range cells {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Fit(c, t.widths[j], t.Cols[t.cols[j]].Right))
	}
	return b.String()
}

// Fit pads or truncates s (with …) to exactly w cells.
func Fit(s string, w int, right bool) string {
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	pad := strings.Repeat(" ", w-n)
	if right {
		return pad + s
	}
	return s + pad
}
