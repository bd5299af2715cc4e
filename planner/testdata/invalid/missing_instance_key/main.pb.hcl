provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "tr" {
  for_each = toset(["en", "fr"])
  template = template.t
  provider = provider.m
  vars     = { p = "Translate to ${each.key}" }
}

run "pick" {
  template = template.t
  provider = provider.m
  vars = {
    p = "${run.tr["en"].output} ${run.tr["missing-key"].output}" # ERROR: Reference to undeclared run instance
  }
}
