// Package views holds what the dashboard shows as data: the columns of each
// view, how a value becomes a row of cells, the health that colours a row,
// the theme (with a colourless one for NO_COLOR) and a table renderer that
// fits columns to the terminal's width. Everything here is a pure function
// of its arguments, the clock included.
package views
