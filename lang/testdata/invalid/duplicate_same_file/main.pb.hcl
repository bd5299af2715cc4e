provider "p" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "a" {
  template = template.t
  provider = provider.p
}

run "a" { # ERROR: Duplicate run declaration
  template = template.t
  provider = provider.p
}

template "t" { # ERROR: Duplicate template declaration
  text = "again"
}

promptbuild {}
promptbuild {} # ERROR: Duplicate promptbuild block
