provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { x = "seed" }
  output   = "out/a.md"
  depends_on = [run.a] # ERROR: Cycle between runs
}
