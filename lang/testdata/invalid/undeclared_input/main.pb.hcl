provider "p" {
  type = "mock"
}

template "t" {
  text = "${doc} ${input.other}" # ERROR: Reference to undeclared input
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { doc = input.readme } # ERROR: Reference to undeclared input
}
