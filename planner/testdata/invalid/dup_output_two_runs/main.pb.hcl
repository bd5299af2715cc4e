provider "m" {
  type = "mock"
}

template "t" {
  text = "hello"
}

run "a" {
  template = template.t
  provider = provider.m
  output   = "out/x.md"
}

# Written loosely, the same file: the later address is the one reported.
run "b" {
  template = template.t
  provider = provider.m
  output   = "out/./sub/../x.md" # ERROR: Duplicate output path
}

run "c" {
  template = template.t
  provider = provider.m
  output   = "out/c.md"
}
