provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/*.md"
}

template "t" {
  text = "${doc}"
}

# Both instances write one file: one error per extra writer.
run "sum" {
  for_each = input.docs
  template = template.t
  provider = provider.m
  vars     = { doc = each.value }
  output   = "out/summary.md" # ERROR: Duplicate output path
}
