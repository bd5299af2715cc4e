provider "p" {
  type = "mock"
}

template "t" {
  text = "${x} ${run.ghost.output}" # ERROR: Reference to undeclared run
}

run "a" {
  template   = template.t
  provider   = provider.p
  vars       = { x = run.summary.output } # ERROR: Reference to undeclared run
  depends_on = [run.missing] # ERROR: Reference to undeclared run
}
