// Package layout holds no code: its test holds the packages to the import
// rules of the design (which layer may know which).
package layout
