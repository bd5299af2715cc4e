provider "p" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "up" {
  template = template.t
  provider = provider.p
  output   = "../x.md" # ERROR: Output path outside the project
}

run "sneaky" {
  template = template.t
  provider = provider.p
  output   = "out/../../x.md" # ERROR: Output path outside the project
}

run "absolute" {
  template = template.t
  provider = provider.p
  output   = "/tmp/x.md" # ERROR: Output path outside the project
}

run "inside" {
  template = template.t
  provider = provider.p
  output   = "out/../x.md"
}
