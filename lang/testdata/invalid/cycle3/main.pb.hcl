provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { x = run.b.output } # ERROR: Cycle between runs
}

run "b" {
  template = template.t
  provider = provider.p
  vars     = { x = run.c.output }
}

run "c" {
  template = template.t
  provider = provider.p
  vars     = { x = run.a.output }
}

run "d" {
  template = template.t
  provider = provider.p
  vars     = { x = run.a.output }
}
