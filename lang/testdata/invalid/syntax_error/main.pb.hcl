provider "p" {
  type = "mock"
}

run "a" {
  template = # ERROR: Invalid expression
}
