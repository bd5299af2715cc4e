template "t" {
  text = "hi"
}

run "a" {
  template = template.t
  provider = provider.nope # ERROR: Reference to undeclared provider
}
