provider "p" {
  type = "mock"
}

template "t" {
  text = "${run.b.output}" # ERROR: Cycle between runs
}

template "u" {
  text = "${x}"
}

run "a" {
  template = template.t
  provider = provider.p
}

run "b" {
  template = template.u
  provider = provider.p
  vars     = { x = run.a.output }
}
