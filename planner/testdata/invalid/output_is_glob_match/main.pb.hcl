provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/**/*.md"
}

template "t" {
  text = "Index of %{ for k, v in input.docs }${k} %{ endfor }"
}

run "index" {
  template = template.t
  provider = provider.m
  output   = "docs/sub/b.md" # ERROR: Output overwrites an input
}

# A file the glob does not match is fine.
run "listing" {
  template = template.t
  provider = provider.m
  output   = "docs/index.txt"
}
