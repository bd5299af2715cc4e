provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/**/*.md"
}

input "notes" {
  glob = "{notes,drafts}/*.txt"
}

template "t" {
  text = "Index of %{ for k, v in input.docs }${k} %{ endfor }"
}

# None of these files exists yet; once written, the globs would read them.
run "index" {
  template = template.t
  provider = provider.m
  output   = "docs/index.md" # ERROR: Output overwrites an input
}

run "deep" {
  template = template.t
  provider = provider.m
  output   = "docs/new/deeper/x.md" # ERROR: Output overwrites an input
}

run "draft" {
  template = template.t
  provider = provider.m
  output   = "drafts/d.txt" # ERROR: Output overwrites an input
}

# Files the globs do not match are fine: another extension, a hidden
# directory that a wildcard skips, a directory outside the pattern.
run "listing" {
  template = template.t
  provider = provider.m
  output   = "docs/index.txt"
}

run "hidden" {
  template = template.t
  provider = provider.m
  output   = "docs/.cache/x.md"
}

run "elsewhere" {
  template = template.t
  provider = provider.m
  output   = "out/docs/x.md"
}

run "nested_note" {
  template = template.t
  provider = provider.m
  output   = "notes/sub/n.txt"
}
