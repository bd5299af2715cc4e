# Paths that Windows reads as another place are refused on every system.
provider "p" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "drive" {
  template = template.t
  provider = provider.p
  output   = "C:/x.md" # ERROR: Output path outside the project
}

run "drive_relative" {
  template = template.t
  provider = provider.p
  output   = "c:x.md" # ERROR: Output path outside the project
}

run "unc" {
  template = template.t
  provider = provider.p
  output   = "\\\\server\\share\\x.md" # ERROR: Output path outside the project
}

run "unc_slashes" {
  template = template.t
  provider = provider.p
  output   = "//server/share/x.md" # ERROR: Output path outside the project
}

run "backslash" {
  template = template.t
  provider = provider.p
  output   = "out\\x.md" # ERROR: Invalid output path
}

run "climbs" {
  template = template.t
  provider = provider.p
  output   = "out\\..\\..\\x.md" # ERROR: Output path outside the project
}

run "fine" {
  template = template.t
  provider = provider.p
  output   = "out/x.md"
}
