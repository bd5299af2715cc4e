provider "p" {
  type = "mock"
}

run "a" {
  template = template.nope # ERROR: Reference to undeclared template
  provider = provider.p
}

run "b" {
  template = provider.p # ERROR: Invalid template reference
  provider = provider.p
}
