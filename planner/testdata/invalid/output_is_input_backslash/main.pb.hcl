# Input paths written with backslashes (as on Windows) name the same files
# on every system, so the overlap is found everywhere. (An output
# written with a backslash is refused: see lang's TestPathRulesWindows.)
provider "m" {
  type = "mock"
}

input "a" {
  file = "docs\\a.md"
}

input "docs" {
  glob = "docs\\*.md"
}

template "t" {
  text = "Improve: ${input.a} ${length(input.docs)}"
}

run "improve" {
  template = template.t
  provider = provider.m
  output   = "docs/a.md" # ERROR: Output overwrites an input
}
